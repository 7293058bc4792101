import { PandaError } from '@panda/core';

/** Fraction of predictions equal to the gold labels. */
export function accuracy(predictions: ArrayLike<number>, gold: ArrayLike<number>): number {
  if (predictions.length !== gold.length) {
    throw new PandaError('SHAPE_MISMATCH', `accuracy: ${predictions.length} predictions for ${gold.length} labels`);
  }
  if (gold.length === 0) return Number.NaN;
  let hit = 0;
  for (let i = 0; i < gold.length; i++) if (predictions[i] === gold[i]) hit++;
  return hit / gold.length;
}
