import { Rng } from '@panda/core';
import { percentileInterval, resampleIndices, resolveBootstrapOptions, type BootstrapOptions } from './bootstrap.js';
import { meanOf } from './summary.js';
import { assertNoNaN } from './validate.js';

/** A percentile bootstrap interval of a sample mean. */
export interface MeanInterval {
  /** The sample mean (NaN when empty). */
  mean: number;
  /** Lower bound: the (1 − level)/2 quantile of the resampled means. */
  low: number;
  /** Upper bound: the (1 + level)/2 quantile of the resampled means. */
  high: number;
  /** Resamples drawn (0 for an empty sample). */
  resamples: number;
}

/**
 * Percentile bootstrap interval of the mean: `resamples` samples of size n drawn with replacement
 * by `new Rng(seed)`, their means' (1 ∓ level)/2 quantiles (linear interpolation, see `quantile`).
 * Deterministic for a given seed. One value gives low = high = that value; an empty sample gives
 * NaN throughout. Throws `CONFIG_INVALID` for a NaN value or invalid options.
 */
export function bootstrapMeanInterval(values: readonly number[], options: BootstrapOptions = {}): MeanInterval {
  const { resamples, level, seed } = resolveBootstrapOptions('bootstrapMeanInterval', options);
  assertNoNaN('bootstrapMeanInterval', 'values', values);
  const n = values.length;
  if (n === 0) return { mean: Number.NaN, low: Number.NaN, high: Number.NaN, resamples: 0 };
  const rng = new Rng(seed);
  const means = Array.from({ length: resamples }, () => meanOf(resampleIndices(rng, n).map((i) => values[i]!)));
  return { mean: meanOf(values), ...percentileInterval(means, level), resamples };
}
