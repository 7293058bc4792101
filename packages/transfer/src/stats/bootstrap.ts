import { PandaError, Rng } from '@panda/core';
import { quantile } from './quantile.js';

/** Options of the percentile bootstrap intervals. */
export interface BootstrapOptions {
  /** Number of bootstrap resamples (a positive integer); default 10000. */
  resamples?: number;
  /** Coverage of the two-sided interval, in (0, 1); default 0.95. */
  level?: number;
  /** Seed of the `Rng` that draws the resamples; the same seed gives the same interval. Default 1. */
  seed?: number | string;
}

/** `BootstrapOptions` with defaults filled in and checked. */
export interface ResolvedBootstrapOptions {
  resamples: number;
  level: number;
  seed: number | string;
}

/** Fills in defaults and throws `CONFIG_INVALID` for a non-positive/non-integer count or a level outside (0, 1). */
export function resolveBootstrapOptions(fn: string, options: BootstrapOptions = {}): ResolvedBootstrapOptions {
  const { resamples = 10000, level = 0.95, seed = 1 } = options;
  if (!Number.isInteger(resamples) || resamples < 1) {
    throw new PandaError('CONFIG_INVALID', `${fn}: resamples must be a positive integer, got ${resamples}`, { details: { function: fn, resamples } });
  }
  if (!(level > 0 && level < 1)) {
    throw new PandaError('CONFIG_INVALID', `${fn}: level must be in (0, 1), got ${level}`, { details: { function: fn, level } });
  }
  return { resamples, level, seed };
}

/** n indices drawn uniformly with replacement from [0, n). */
export function resampleIndices(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => rng.int(n));
}

/**
 * The percentile interval of bootstrap statistics: the (1 − level)/2 and (1 + level)/2 quantiles
 * (linear interpolation, see `quantile`). NaN bounds when there are no statistics.
 */
export function percentileInterval(statistics: readonly number[], level: number): { low: number; high: number } {
  const sorted = [...statistics].sort((x, y) => x - y);
  const tail = (1 - level) / 2;
  return { low: quantile(sorted, tail), high: quantile(sorted, 1 - tail) };
}
