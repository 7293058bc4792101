import { checkLengths } from './shape.js';

/**
 * Fraction of predictions equal to the gold labels (scikit-learn's `accuracy_score`).
 * Empty input gives NaN. Throws `SHAPE_MISMATCH` when the lengths differ.
 */
export function accuracy(predictions: ArrayLike<number>, gold: ArrayLike<number>): number {
  checkLengths('accuracy', predictions, gold);
  if (gold.length === 0) return Number.NaN;
  let hit = 0;
  for (let i = 0; i < gold.length; i++) if (predictions[i] === gold[i]) hit++;
  return hit / gold.length;
}
