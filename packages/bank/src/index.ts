export { PromptBank } from './bank.js';
export type {
  BankEntry,
  BankEntryInput,
  EmbeddingInput,
  ListFilter,
  ModelIndexStats,
  PromptBankOptions,
  QueryHit,
  QueryOptions,
  VerifyReport,
} from './types.js';
export { ENTRY_EXISTS, isEntryExists } from './errors.js';
export { CRASH_ENV, type CrashPoint } from './crashPoint.js';
export { bankOptionsSchema, entryIdSchema, entryInputSchema, nameSchema, queryOptionsSchema } from './schema.js';
export { cosine } from '@panda/core';
