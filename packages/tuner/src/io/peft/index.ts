export { exportPeft } from './exportPeft.js';
export { importPeft } from './importPeft.js';
export { peftConfigSchema, PEFT_CONFIG_FILE, PEFT_HEAD_WEIGHT, PEFT_HEAD_BIAS } from './peftConfig.js';
export type { PeftConfig } from './peftConfig.js';
