export { ERROR_CODES, PandaError, isPandaError, toError } from './errors/pandaError.js';
export type { ErrorCode, PandaErrorOptions } from './errors/pandaError.js';
export { Rng } from './rng/rng.js';
export { silent } from './events/progress.js';
export type { ProgressEvent, ProgressListener } from './events/progress.js';
export { cosine } from './math/cosine.js';
export { definePlugin } from './plugins/plugin.js';
export type { PandaPlugin } from './plugins/plugin.js';
