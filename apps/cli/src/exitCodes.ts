import { isPandaError, type ErrorCode } from '@panda/core';

/** Exit statuses of the `panda` command: one place maps error codes to them. */
export const EXIT = { ok: 0, internal: 1, usage: 2, data: 3, model: 4, io: 5, interrupted: 130 } as const;

const BY_CODE: Partial<Record<ErrorCode, number>> = {
  CONFIG_INVALID: EXIT.usage,
  TASK_UNKNOWN: EXIT.usage,
  PROMPT_TOO_LONG: EXIT.usage,
  BACKEND_UNAVAILABLE: EXIT.usage,
  DATA_FILE_MISSING: EXIT.data,
  DATA_ROW_INVALID: EXIT.data,
  LABEL_UNKNOWN: EXIT.data,
  MODEL_NOT_FOUND: EXIT.model,
  SAFETENSORS_INVALID: EXIT.model,
  CHECKPOINT_INVALID: EXIT.model,
  TEMPLATE_INVALID: EXIT.usage,
  VERBALIZER_INVALID: EXIT.usage,
  ARCHITECTURE_UNSUPPORTED: EXIT.model,
  TOKENIZER_MISMATCH: EXIT.model,
  DIMENSION_MISMATCH: EXIT.data,
  MODEL_MISMATCH: EXIT.data,
  BANK_EMPTY: EXIT.data,
  ENTRY_UNKNOWN: EXIT.usage,
  BANK_CORRUPT: EXIT.data,
  PLUGIN_INVALID: EXIT.usage,
  IO_FAILED: EXIT.io,
  NON_FINITE_LOSS: EXIT.usage,
  DIR_LOCKED: EXIT.usage,
  RUN_EXISTS: EXIT.usage,
  QUEUE_UNAVAILABLE: EXIT.io,
  JOB_REJECTED: EXIT.usage,
};

export function exitCodeFor(err: unknown): number {
  if (isPandaError(err)) return BY_CODE[err.code] ?? EXIT.internal;
  if (err instanceof Error && err.name === 'CommanderError') return EXIT.usage;
  return EXIT.internal;
}
