import { meanOf } from './summary.js';
import { assertNoNaN, assertSameLength } from './validate.js';

/** Element-wise differences of two paired samples and how often each side wins. */
export interface PairedDifferences {
  /** a[i] − b[i]. */
  differences: number[];
  /** Mean difference; NaN for empty samples. */
  mean: number;
  /** Pairs with a[i] > b[i]. */
  positive: number;
  /** Pairs with a[i] < b[i]. */
  negative: number;
  /** Pairs whose difference is exactly zero. */
  ties: number;
}

/**
 * Paired differences a − b (e.g. per-task scores of two methods) with their mean and sign counts.
 * Throws `SHAPE_MISMATCH` when the lengths differ and `CONFIG_INVALID` when a value is NaN.
 */
export function pairedDifferences(a: readonly number[], b: readonly number[]): PairedDifferences {
  assertSameLength('pairedDifferences', a, b);
  assertNoNaN('pairedDifferences', 'a', a);
  assertNoNaN('pairedDifferences', 'b', b);
  const differences = a.map((v, i) => v - b[i]!);
  return {
    differences,
    mean: meanOf(differences),
    positive: differences.filter((d) => d > 0).length,
    negative: differences.filter((d) => d < 0).length,
    ties: differences.filter((d) => d === 0).length,
  };
}
