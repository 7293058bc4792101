/**
 * Every error a panda library throws on purpose. `code` is stable and machine-readable; apps map
 * codes to exit statuses (CLI) or HTTP statuses (service) in one place each.
 */
export const ERROR_CODES = [
  'CONFIG_INVALID',
  'BACKEND_UNAVAILABLE',
  'SAFETENSORS_INVALID',
  'SHAPE_MISMATCH',
  'DTYPE_MISMATCH',
  'DATA_FILE_MISSING',
  'DATA_ROW_INVALID',
  'TASK_UNKNOWN',
  'LABEL_UNKNOWN',
  'PROMPT_TOO_LONG',
  'MODEL_NOT_FOUND',
  'TENSOR_LEAK',
  'CHECKPOINT_INVALID',
  // Templates and verbalizers (template syntax errors carry the position in `details`).
  'TEMPLATE_INVALID',
  'VERBALIZER_INVALID',
  // Checkpoints users bring (Hugging Face folders, ONNX files).
  'ARCHITECTURE_UNSUPPORTED',
  'TOKENIZER_MISMATCH',
  // The prompt bank: an embedding of the wrong width or from another model, an empty bank, an
  // unknown entry, and a bank whose two stores disagree beyond repair.
  'DIMENSION_MISMATCH',
  'MODEL_MISMATCH',
  'BANK_EMPTY',
  'ENTRY_UNKNOWN',
  'BANK_CORRUPT',
  // A --plugin module that cannot be found, imported, or does not export a plugin.
  'PLUGIN_INVALID',
  // A file could not be written or read for a reason of the machine (disk full, read-only folder,
  // permissions); `details.path` names it.
  'IO_FAILED',
  // Training produced a non-finite loss (a learning rate far too large, bad inputs); the run stops.
  'NON_FINITE_LOSS',
  // A folder is held by another live process (the service's data directory); `details.pid` names it.
  'DIR_LOCKED',
  // An output folder already holds a finished run (overwrite it explicitly).
  'RUN_EXISTS',
  // A job queue (Redis behind BullMQ) that cannot be reached or refuses the connection.
  'QUEUE_UNAVAILABLE',
  // A queue worker refuses a job it must not run (a path outside its working folder, data over the
  // size limit, a model it does not hold); `details` says which.
  'JOB_REJECTED',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface PandaErrorOptions {
  cause?: unknown;
  /** Structured facts about the failure (file, line, expected/actual shapes, ...). */
  details?: Record<string, unknown>;
}

export class PandaError extends Error {
  override readonly name = 'PandaError';
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: PandaErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }
}

/** Type guard, optionally narrowed to one code. */
export function isPandaError(value: unknown, code?: ErrorCode): value is PandaError {
  return value instanceof PandaError && (code === undefined || value.code === code);
}

/** Normalises anything thrown into an Error, keeping the original as `cause`. */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  return new PandaError('INTERNAL', `non-error thrown: ${String(value)}`, { cause: value });
}
