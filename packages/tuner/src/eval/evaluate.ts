import * as tf from '@tensorflow/tfjs-core';
import { accuracy, pearsonAndSpearman } from '@panda/datasets';
import type { EncodedSet } from '../data/batches.js';
import type { AdaptedModel } from '../model/adaptedModel.js';
import type { Head } from '../model/head.js';

export { pairFeatures } from '../model/adaptedModel.js';

/** What a run trains its head for: C-way classification, or one real-valued output (STS-B). */
export type Objective = 'classification' | 'regression';

/** The dev/test score of each objective: accuracy, or GLUE's STS-B score (mean of Pearson and Spearman). */
export type ScoreMetric = 'accuracy' | 'pearson_and_spearman';

export function scoreMetricOf(objective: Objective): ScoreMetric {
  return objective === 'regression' ? 'pearson_and_spearman' : 'accuracy';
}

/** A set scored by a head: the score of the objective's metric and every prediction (class index or value). */
export interface SetScore {
  metric: ScoreMetric;
  /** Accuracy, or mean(Pearson, Spearman); NaN when the correlation is undefined (constant predictions). */
  score: number;
  predictions: number[];
}

/**
 * Scores `head` on features [N, F]: predicted classes and accuracy (classification), or the
 * head's single output and mean(Pearson, Spearman) against the targets (regression).
 */
export function scoreFeatures(head: Head, features: tf.Tensor2D, labels: readonly number[], objective: Objective = 'classification'): SetScore {
  const out = tf.tidy(() => {
    const logits = head.apply(features); // [N, C]
    return objective === 'regression' ? tf.reshape(logits, [-1]) : tf.argMax(logits, 1); // [N]
  });
  const predictions = Array.from(out.dataSync());
  out.dispose();
  const metric = scoreMetricOf(objective);
  return { metric, score: metric === 'accuracy' ? accuracy(predictions, labels) : pearsonAndSpearman(predictions, labels), predictions };
}

/** Score of an adapted model on an encoded set (its inference injection; see {@link scoreFeatures}). */
export function evaluateSet(model: AdaptedModel, set: EncodedSet, batchSize: number, objective: Objective = 'classification'): SetScore {
  const features = model.setFeatures(set, batchSize);
  try {
    return scoreFeatures(model.head, features, set.labels, objective);
  } finally {
    features.dispose();
  }
}
