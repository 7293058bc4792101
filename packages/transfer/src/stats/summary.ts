import { assertNoNaN } from './validate.js';

/** Size, mean and sample standard deviation of a sample. */
export interface Summary {
  n: number;
  /** Arithmetic mean; NaN when n = 0. */
  mean: number;
  /** Sample standard deviation (n − 1 denominator); NaN when n < 2. */
  std: number;
}

/**
 * Size, mean and sample standard deviation (Bessel-corrected, numpy's `std(ddof=1)`), computed in
 * two passes for accuracy. Throws `CONFIG_INVALID` when a value is NaN.
 */
export function summary(values: readonly number[]): Summary {
  assertNoNaN('summary', 'values', values);
  const n = values.length;
  const mean = meanOf(values);
  if (n < 2) return { n, mean, std: Number.NaN };
  let squares = 0;
  for (const v of values) squares += (v - mean) ** 2;
  return { n, mean, std: Math.sqrt(squares / (n - 1)) };
}

/** Arithmetic mean; NaN for an empty sample. Does not validate its input. */
export function meanOf(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}
