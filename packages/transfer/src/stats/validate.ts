import { PandaError } from '@panda/core';

/**
 * Throws `CONFIG_INVALID` when `values` holds a NaN, naming the function, the argument and the
 * first offending index. Statistics here never silently drop NaNs: a NaN in a report's inputs is a
 * bug upstream.
 */
export function assertNoNaN(fn: string, argument: string, values: readonly number[]): void {
  const index = values.findIndex((v) => Number.isNaN(v));
  if (index < 0) return;
  throw new PandaError('CONFIG_INVALID', `${fn}: ${argument}[${index}] is NaN; statistics need numbers (drop or fix missing values first)`, {
    details: { function: fn, argument, index },
  });
}

/** Throws `SHAPE_MISMATCH` unless the two paired samples have the same length. */
export function assertSameLength(fn: string, a: readonly number[], b: readonly number[]): void {
  if (a.length === b.length) return;
  throw new PandaError('SHAPE_MISMATCH', `${fn}: paired samples differ in length (${a.length} vs ${b.length})`, {
    details: { function: fn, a: a.length, b: b.length },
  });
}
