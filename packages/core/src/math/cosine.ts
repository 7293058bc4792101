import { PandaError } from '../errors/pandaError.js';

/**
 * cos(a, b) = a·b / (‖a‖‖b‖), accumulated in float64; 0 when either vector is all zeros.
 * @throws PandaError `DIMENSION_MISMATCH` for vectors of different lengths.
 */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new PandaError('DIMENSION_MISMATCH', `cosine of vectors of ${a.length} and ${b.length} entries`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
