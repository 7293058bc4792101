import { PandaError } from '@panda/core';

/** Throws `SHAPE_MISMATCH` unless predictions and gold have the same length (and groups, when given). */
export function checkLengths(metric: string, predictions: ArrayLike<unknown>, gold: ArrayLike<unknown>, groups?: ArrayLike<unknown>): void {
  if (predictions.length !== gold.length) {
    throw new PandaError('SHAPE_MISMATCH', `${metric}: ${predictions.length} predictions for ${gold.length} labels`, { details: { predictions: predictions.length, gold: gold.length } });
  }
  if (groups && groups.length !== gold.length) {
    throw new PandaError('SHAPE_MISMATCH', `${metric}: ${groups.length} group keys for ${gold.length} labels`, { details: { groups: groups.length, gold: gold.length } });
  }
}
