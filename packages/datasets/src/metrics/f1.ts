import { checkLengths } from './shape.js';

/** F1 from counts; 0 when precision and recall are both undefined or zero (scikit-learn's `zero_division=0`). */
function f1FromCounts(tp: number, predicted: number, actual: number): number {
  const precision = predicted === 0 ? 0 : tp / predicted;
  const recall = actual === 0 ? 0 : tp / actual;
  return precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
}

/**
 * Binary F1 of the positive class (scikit-learn `f1_score(average='binary', pos_label=1)`); any
 * label other than `positive` counts as negative. Degenerate inputs: when there is no true
 * positive (including no positive in gold or predictions at all) the result is 0, as with
 * scikit-learn's `zero_division=0`. Empty input gives NaN.
 */
export function f1Binary(predictions: ArrayLike<number>, gold: ArrayLike<number>, positive = 1): number {
  checkLengths('f1', predictions, gold);
  if (gold.length === 0) return Number.NaN;
  let tp = 0;
  let predicted = 0;
  let actual = 0;
  for (let i = 0; i < gold.length; i++) {
    const p = predictions[i] === positive;
    const g = gold[i] === positive;
    if (p) predicted++;
    if (g) actual++;
    if (p && g) tp++;
  }
  return f1FromCounts(tp, predicted, actual);
}

/** Options of the multi-class F1 averages. */
export interface F1AverageOptions {
  /**
   * The label set to average over. Default: every label that occurs in gold or predictions
   * (scikit-learn's default). Give the task's full label set to count a class that never occurs
   * (its F1 is 0).
   */
  labels?: readonly number[];
}

function perLabelCounts(predictions: ArrayLike<number>, gold: ArrayLike<number>, labels: readonly number[] | undefined) {
  const set = labels ? [...labels] : [...new Set([...Array.from(gold), ...Array.from(predictions)])].sort((a, b) => a - b);
  const index = new Map(set.map((l, i) => [l, i]));
  const tp = new Array<number>(set.length).fill(0);
  const predicted = new Array<number>(set.length).fill(0);
  const actual = new Array<number>(set.length).fill(0);
  for (let i = 0; i < gold.length; i++) {
    const p = index.get(predictions[i]!);
    const g = index.get(gold[i]!);
    if (p !== undefined) predicted[p]!++;
    if (g !== undefined) actual[g]!++;
    if (p !== undefined && p === g) tp[p]!++;
  }
  return { set, tp, predicted, actual };
}

/**
 * Macro-averaged F1: the unweighted mean of per-class F1 (scikit-learn
 * `f1_score(average='macro', zero_division=0)`); a class with no true positive scores 0. This is
 * SuperGLUE's CB "F1". Empty input gives NaN.
 */
export function f1Macro(predictions: ArrayLike<number>, gold: ArrayLike<number>, options: F1AverageOptions = {}): number {
  checkLengths('f1_macro', predictions, gold);
  if (gold.length === 0) return Number.NaN;
  const { set, tp, predicted, actual } = perLabelCounts(predictions, gold, options.labels);
  if (set.length === 0) return Number.NaN;
  let sum = 0;
  for (let k = 0; k < set.length; k++) sum += f1FromCounts(tp[k]!, predicted[k]!, actual[k]!);
  return sum / set.length;
}

/**
 * Micro-averaged F1 over the label set (scikit-learn `f1_score(average='micro')`): with the
 * default label set, every single-label prediction is counted once and the result equals
 * accuracy. Empty input gives NaN.
 */
export function f1Micro(predictions: ArrayLike<number>, gold: ArrayLike<number>, options: F1AverageOptions = {}): number {
  checkLengths('f1_micro', predictions, gold);
  if (gold.length === 0) return Number.NaN;
  const { tp, predicted, actual } = perLabelCounts(predictions, gold, options.labels);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  return f1FromCounts(sum(tp), sum(predicted), sum(actual));
}
