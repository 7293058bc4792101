import { PandaError } from '@panda/core';

/**
 * The `q`-quantile of an ascending `sorted` sample by linear interpolation between order
 * statistics: with h = (n − 1)·q, lo = ⌊h⌋, the result is sorted[lo] + (h − lo)·(sorted[lo+1] −
 * sorted[lo]). This is numpy's default (`np.quantile(..., method='linear')`, Hyndman & Fan type 7),
 * and it uses numpy's two-sided interpolation (from the upper neighbour when h − lo ≥ 0.5) so the
 * results agree to the last bit in the tested cases. NaN for an empty sample.
 *
 * Throws `CONFIG_INVALID` when `q` is outside [0, 1] or `sorted` is not ascending (or holds NaN).
 */
export function quantile(sorted: readonly number[], q: number): number {
  checkQuantileArgs(sorted, q);
  if (sorted.length === 0) return Number.NaN;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const a = sorted[lo]!;
  const b = sorted[Math.min(lo + 1, sorted.length - 1)]!;
  return lerp(a, b, h - lo);
}

/** numpy's `_lerp`: a + (b − a)·t, computed from `b` for t ≥ 0.5 (exact at t = 1, monotone). */
function lerp(a: number, b: number, t: number): number {
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

function checkQuantileArgs(sorted: readonly number[], q: number): void {
  if (!(q >= 0 && q <= 1)) {
    throw new PandaError('CONFIG_INVALID', `quantile: q must be in [0, 1], got ${q}`, { details: { q } });
  }
  for (let i = 0; i < sorted.length; i++) {
    if (Number.isNaN(sorted[i]!) || (i > 0 && sorted[i]! < sorted[i - 1]!)) {
      throw new PandaError('CONFIG_INVALID', `quantile: the sample must be sorted ascending and free of NaN (index ${i})`, { details: { index: i } });
    }
  }
}
