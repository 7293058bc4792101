import { checkLengths } from './shape.js';

/**
 * Matthews correlation coefficient, multi-class form (Gorodkin's R_K, as scikit-learn's
 * `matthews_corrcoef`); CoLA's metric. Degenerate inputs: when predictions or gold are constant
 * (one class only) the denominator is 0 and the result is 0, as in scikit-learn. Empty input
 * gives NaN.
 */
export function matthewsCorrelation(predictions: ArrayLike<number>, gold: ArrayLike<number>): number {
  checkLengths('mcc', predictions, gold);
  const n = gold.length;
  if (n === 0) return Number.NaN;
  const trueCount = new Map<number, number>();
  const predCount = new Map<number, number>();
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const g = gold[i]!;
    const p = predictions[i]!;
    trueCount.set(g, (trueCount.get(g) ?? 0) + 1);
    predCount.set(p, (predCount.get(p) ?? 0) + 1);
    if (g === p) correct++;
  }
  let tDotP = 0;
  let pDotP = 0;
  let tDotT = 0;
  for (const [label, t] of trueCount) {
    tDotT += t * t;
    tDotP += t * (predCount.get(label) ?? 0);
  }
  for (const p of predCount.values()) pDotP += p * p;
  const covYtYp = correct * n - tDotP;
  const covYpYp = n * n - pDotP;
  const covYtYt = n * n - tDotT;
  if (covYpYp === 0 || covYtYt === 0) return 0;
  return covYtYp / Math.sqrt(covYtYt * covYpYp);
}
