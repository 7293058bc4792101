import { accuracy } from './accuracy.js';
import { pearson, spearman } from './correlation.js';
import { f1Binary, f1Macro, type F1AverageOptions } from './f1.js';

/** GLUE's MRPC/QQP score: the mean of accuracy and binary F1 (`acc_and_f1` in the GLUE tooling). */
export function accuracyAndF1(predictions: ArrayLike<number>, gold: ArrayLike<number>): number {
  return (accuracy(predictions, gold) + f1Binary(predictions, gold)) / 2;
}

/** GLUE's STS-B score: the mean of Pearson and Spearman correlation; NaN when either is NaN (constant input). */
export function pearsonAndSpearman(predictions: ArrayLike<number>, gold: ArrayLike<number>): number {
  return (pearson(predictions, gold) + spearman(predictions, gold)) / 2;
}

/** SuperGLUE's CB score: the mean of accuracy and macro-F1. */
export function accuracyAndF1Macro(predictions: ArrayLike<number>, gold: ArrayLike<number>, options: F1AverageOptions = {}): number {
  return (accuracy(predictions, gold) + f1Macro(predictions, gold, options)) / 2;
}
