import { isPandaError, type ErrorCode } from '@panda/core';
import { isEntryExists } from '@panda/bank';

/** Codes the service adds for failures that belong to HTTP rather than to a library. */
export type ServiceErrorCode =
  | 'BAD_REQUEST'
  | 'BAD_JSON'
  | 'UNAUTHORIZED'
  | 'PATH_FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'TOO_MANY_JOBS'
  | 'JOB_STATE'
  | 'NOT_AVAILABLE'
  | 'SERVICE_BUSY'
  | 'HOST_FORBIDDEN'
  | 'ORIGIN_FORBIDDEN';

/** An error the service raises itself, with its HTTP status. */
export class ServiceError extends Error {
  override readonly name = 'ServiceError';
  constructor(
    readonly status: number,
    readonly code: ServiceErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/**
 * The one place library error codes become HTTP statuses (the CLI's exitCodes.ts is its twin).
 * A request that names something that does not exist is 404; a request whose values a library
 * refuses is 400 or 422; a state conflict is 409; broken files on the server are 500.
 */
const BY_CODE: Record<ErrorCode, number> = {
  CONFIG_INVALID: 400,
  PROMPT_TOO_LONG: 400,
  TEMPLATE_INVALID: 400,
  VERBALIZER_INVALID: 400,
  SHAPE_MISMATCH: 422,
  DTYPE_MISMATCH: 422,
  DATA_ROW_INVALID: 422,
  LABEL_UNKNOWN: 422,
  DIMENSION_MISMATCH: 422,
  TASK_UNKNOWN: 404,
  ENTRY_UNKNOWN: 404,
  DATA_FILE_MISSING: 404,
  MODEL_MISMATCH: 409,
  BANK_EMPTY: 409,
  TOKENIZER_MISMATCH: 409,
  ARCHITECTURE_UNSUPPORTED: 422,
  BACKEND_UNAVAILABLE: 503,
  MODEL_NOT_FOUND: 500,
  SAFETENSORS_INVALID: 500,
  CHECKPOINT_INVALID: 500,
  BANK_CORRUPT: 500,
  PLUGIN_INVALID: 500,
  IO_FAILED: 507,
  NON_FINITE_LOSS: 422,
  DIR_LOCKED: 409,
  RUN_EXISTS: 409,
  QUEUE_UNAVAILABLE: 503,
  JOB_REJECTED: 400,
  TENSOR_LEAK: 500,
  INTERNAL: 500,
};

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

/** Status and JSON body for anything thrown by a route. Internal errors do not leak their stack. */
export function errorResponse(err: unknown): { status: number; body: ErrorBody } {
  if (err instanceof ServiceError) {
    return { status: err.status, body: { error: { code: err.code, message: err.message, ...(Object.keys(err.details).length ? { details: err.details } : {}) } } };
  }
  if (isPandaError(err)) {
    // The bank reports a duplicate id as CONFIG_INVALID with a reason: a conflict, not a bad value.
    const status = isEntryExists(err) ? 409 : (BY_CODE[err.code] ?? 500);
    const details = status < 500 && Object.keys(err.details).length ? { details: err.details } : {};
    return { status, body: { error: { code: err.code, message: status < 500 ? err.message : publicMessage(err.message), ...details } } };
  }
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'internal error (see the service log)' } } };
}

/** Server-side failures name the problem but not the server's file paths. */
function publicMessage(message: string): string {
  return message.replace(/(\/[\w.@+-]+)+/g, '<path>').slice(0, 300);
}

export function statusForCode(code: ErrorCode): number {
  return BY_CODE[code] ?? 500;
}
