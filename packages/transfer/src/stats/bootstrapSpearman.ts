import { Rng } from '@panda/core';
import { spearman } from '@panda/datasets';
import { percentileInterval, resampleIndices, resolveBootstrapOptions, type BootstrapOptions } from './bootstrap.js';
import { assertNoNaN, assertSameLength } from './validate.js';

/** A percentile bootstrap interval of Spearman's ρ. */
export interface SpearmanInterval {
  /** Spearman's ρ of the full sample (NaN when undefined or with fewer than 3 pairs). */
  rho: number;
  /** Lower bound over the resamples whose ρ is defined. */
  low: number;
  /** Upper bound over the resamples whose ρ is defined. */
  high: number;
  /** Resamples drawn (0 with fewer than 3 pairs), including undefined ones. */
  resamples: number;
  /** Resamples skipped because their ρ is NaN (a side constant in the resample). */
  undefinedResamples: number;
}

/**
 * Percentile bootstrap interval of Spearman's ρ (`spearman` from `@panda/datasets`, average ranks
 * for ties): resamples (x[i], y[i]) pairs with replacement using `new Rng(seed)`, skips and counts
 * resamples whose ρ is NaN, and takes the (1 ∓ level)/2 quantiles of the rest (see `quantile`);
 * NaN bounds if none is defined. Fewer than 3 pairs give NaN throughout. Throws `SHAPE_MISMATCH`
 * for different lengths and `CONFIG_INVALID` for a NaN value or invalid options.
 */
export function bootstrapSpearmanInterval(x: readonly number[], y: readonly number[], options: BootstrapOptions = {}): SpearmanInterval {
  const { resamples, level, seed } = resolveBootstrapOptions('bootstrapSpearmanInterval', options);
  assertSameLength('bootstrapSpearmanInterval', x, y);
  assertNoNaN('bootstrapSpearmanInterval', 'x', x);
  assertNoNaN('bootstrapSpearmanInterval', 'y', y);
  if (x.length < 3) return { rho: Number.NaN, low: Number.NaN, high: Number.NaN, resamples: 0, undefinedResamples: 0 };
  const rhos = resampledRhos(x, y, resamples, new Rng(seed));
  const defined = rhos.filter((r) => !Number.isNaN(r));
  return { rho: spearman(x, y), ...percentileInterval(defined, level), resamples, undefinedResamples: resamples - defined.length };
}

function resampledRhos(x: readonly number[], y: readonly number[], resamples: number, rng: Rng): number[] {
  return Array.from({ length: resamples }, () => {
    const indices = resampleIndices(rng, x.length);
    return spearman(indices.map((i) => x[i]!), indices.map((i) => y[i]!));
  });
}
