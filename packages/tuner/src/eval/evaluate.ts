import * as tf from '@tensorflow/tfjs-core';
import { accuracy } from '@panda/datasets';
import type { EncodedSet } from '../data/batches.js';
import type { AdaptedModel } from '../model/adaptedModel.js';
import type { Head } from '../model/head.js';
import { defaultSelectionMetric, selectionMetric, type SelectionMetric } from './selection.js';

export { pairFeatures } from '../model/adaptedModel.js';

/** What a run trains its head for: C-way classification, or one real-valued output (STS-B). */
export type Objective = 'classification' | 'regression';

/**
 * The name of a run's dev/test score: a registered task metric's (by default accuracy, or GLUE's
 * STS-B score, mean(Pearson, Spearman), for regression; a task's own metric when it names one).
 */
export type ScoreMetric = string;

/** The default score of each objective (see {@link defaultSelectionMetric}). */
export function scoreMetricOf(objective: Objective): ScoreMetric {
  return defaultSelectionMetric(objective);
}

/** A set scored by a head: the score of the selection metric and every prediction (class index or value). */
export interface SetScore {
  metric: ScoreMetric;
  /** The metric's value; NaN when it is undefined (a correlation of constant predictions). */
  score: number;
  /** Accuracy of the predictions (classification only). */
  accuracy?: number;
  predictions: number[];
}

/**
 * Scores `head` on features [N, F]: predicted classes (classification) or the head's single output
 * (regression), scored by `metric` (default: accuracy, or mean(Pearson, Spearman)).
 */
export function scoreFeatures(head: Head, features: tf.Tensor2D, labels: readonly number[], objective: Objective = 'classification', metric?: SelectionMetric, groups?: readonly string[]): SetScore {
  const out = tf.tidy(() => {
    const logits = head.apply(features); // [N, C]
    return objective === 'regression' ? tf.reshape(logits, [-1]) : tf.argMax(logits, 1); // [N]
  });
  const predictions = Array.from(out.dataSync());
  out.dispose();
  const m = metric ?? selectionMetric(undefined, objective, head.outputs);
  const acc = objective === 'classification' ? accuracy(predictions, labels) : undefined;
  return { metric: m.name, score: m.name === 'accuracy' && acc !== undefined ? acc : m.score(predictions, labels, groups), ...(acc !== undefined ? { accuracy: acc } : {}), predictions };
}

/**
 * Score of an adapted model on an encoded set (its inference injection, on the backbone's
 * inference engine when it has one; see {@link scoreFeatures}). `onRows(done, total)` follows the
 * forward passes.
 */
export async function evaluateSet(model: AdaptedModel, set: EncodedSet, batchSize: number, objective: Objective = 'classification', metric?: SelectionMetric, groups?: readonly string[], onRows?: (done: number, total: number) => void): Promise<SetScore> {
  const features = await model.setFeatures(set, batchSize, onRows ? { onRows } : {});
  try {
    return scoreFeatures(model.head, features, set.labels, objective, metric, groups);
  } finally {
    features.dispose();
  }
}
