import { checkLengths } from './shape.js';

/**
 * Pearson correlation (SciPy `scipy.stats.pearsonr`'s statistic; STS-B's metric). Degenerate
 * inputs: NaN when either side is constant (zero variance, as SciPy, which also warns), when there
 * are fewer than 2 pairs (SciPy raises) or when any value is NaN. Exactly ±1 for two points.
 * Computed on mean-centred values and clipped to [-1, 1].
 */
export function pearson(predictions: ArrayLike<number>, gold: ArrayLike<number>): number {
  checkLengths('pearson', predictions, gold);
  const n = gold.length;
  if (n < 2) return Number.NaN;
  let constX = true;
  let constY = true;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    const x = predictions[i]!;
    const y = gold[i]!;
    if (Number.isNaN(x) || Number.isNaN(y)) return Number.NaN;
    if (x !== predictions[0]) constX = false;
    if (y !== gold[0]) constY = false;
    sx += x;
    sy += y;
  }
  if (constX || constY) return Number.NaN;
  // Two points lie on a line: ±1 exactly (SciPy returns the sign product too).
  if (n === 2) return Math.sign(predictions[1]! - predictions[0]!) * Math.sign(gold[1]! - gold[0]!);
  const mx = sx / n;
  const my = sy / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = predictions[i]! - mx;
    const dy = gold[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  const r = sxy / Math.sqrt(sxx * syy);
  return Math.max(-1, Math.min(1, r));
}

/**
 * 1-based ranks with ties given the average of the ranks they span (SciPy `rankdata(method='average')`).
 */
export function averageRanks(values: ArrayLike<number>): number[] {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a]! - values[b]! || a - b);
  const ranks = new Array<number>(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && values[order[j + 1]!] === values[order[i]!]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]!] = rank;
    i = j + 1;
  }
  return ranks;
}

/**
 * Spearman rank correlation: Pearson correlation of average ranks, so ties are handled as SciPy's
 * `scipy.stats.spearmanr` does. Degenerate inputs: NaN when either side is constant, with fewer
 * than 2 pairs, or when any value is NaN (SciPy's `nan_policy='propagate'`).
 */
export function spearman(predictions: ArrayLike<number>, gold: ArrayLike<number>): number {
  checkLengths('spearman', predictions, gold);
  for (let i = 0; i < gold.length; i++) if (Number.isNaN(predictions[i]!) || Number.isNaN(gold[i]!)) return Number.NaN;
  return pearson(averageRanks(predictions), averageRanks(gold));
}
