import { PandaError, isPandaError } from '@panda/core';

/**
 * @panda/core has no code for "an entry with this id already exists", so `add()` reports it as
 * CONFIG_INVALID with `details.reason === ENTRY_EXISTS` (and `details.id`). Test with `isEntryExists`.
 */
export const ENTRY_EXISTS = 'ENTRY_EXISTS';

export function entryExists(id: string): PandaError {
  return new PandaError('CONFIG_INVALID', `an entry with id "${id}" already exists (use replace() to overwrite it)`, { details: { reason: ENTRY_EXISTS, id } });
}

export function isEntryExists(err: unknown): boolean {
  return isPandaError(err, 'CONFIG_INVALID') && err.details['reason'] === ENTRY_EXISTS;
}

export function entryUnknown(id: string): PandaError {
  return new PandaError('ENTRY_UNKNOWN', `no entry with id "${id}" in the bank`, { details: { id } });
}
