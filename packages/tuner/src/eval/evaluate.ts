import * as tf from '@tensorflow/tfjs-core';
import type { LinearHead, SentenceEncoder } from '@panda/backbones';
import { accuracy, pearsonAndSpearman } from '@panda/datasets';
import { orderedBatches, padBatch, secondTower, type EncodedSet } from '../data/batches.js';

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
 * Sentence embeddings of a whole set, with an optional prompt, batched by length.
 * @returns [N, hidden] in the set's order; the caller owns it.
 */
export function embedSet(encoder: SentenceEncoder, set: EncodedSet, padId: number, batchSize: number, prompt?: tf.Tensor2D): tf.Tensor2D {
  const batches = orderedBatches(set.ids.map((r) => r.length), batchSize);
  const parts: tf.Tensor2D[] = [];
  const order: number[] = [];
  for (const rows of batches) {
    parts.push(
      tf.tidy(() => {
        const { ids, mask, soft } = padBatch(set, rows, padId);
        return encoder.forward({ ids, mask, ...(prompt && soft ? { soft: { rows: prompt, index: soft } } : prompt ? { prompt } : {}) }).embedding; // [b, hidden]
      }),
    );
    order.push(...rows);
  }
  return tf.tidy(() => {
    const sorted = tf.concat(parts, 0); // [N, hidden] in batch order
    const inverse = new Int32Array(order.length);
    order.forEach((row, i) => (inverse[row] = i));
    tf.dispose(parts);
    return tf.gather(sorted, tf.tensor1d(inverse, 'int32')) as tf.Tensor2D;
  });
}

/**
 * Sentence-BERT's pair features of two embeddings: [u, v, |u − v|, u·v].
 * @param u [B, H]; v [B, H]
 * @returns [B, 4H]; the caller owns it (or call inside tf.tidy).
 */
export function pairFeatures(u: tf.Tensor2D, v: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.concat([u, v, tf.abs(tf.sub(u, v)), tf.mul(u, v)], 1) as tf.Tensor2D); // [B, 4H]
}

/**
 * What the head reads for every example of a set: the sentence embedding [N, hidden], or for a
 * two-tower pair set the pair features of its two texts [N, 4·hidden]. The caller owns the result.
 */
export function setFeatures(encoder: SentenceEncoder, set: EncodedSet, padId: number, batchSize: number, prompt?: tf.Tensor2D): tf.Tensor2D {
  const b = secondTower(set);
  const u = embedSet(encoder, set, padId, batchSize, prompt); // [N, hidden]
  if (!b) return u;
  const v = embedSet(encoder, b, padId, batchSize, prompt); // [N, hidden]
  try {
    return pairFeatures(u, v); // [N, 4·hidden]
  } finally {
    tf.dispose([u, v]);
  }
}

/**
 * Scores `head` on features [N, hidden]: predicted classes and accuracy (classification), or the
 * head's single output and mean(Pearson, Spearman) against the targets (regression).
 */
export function scoreFeatures(head: LinearHead, features: tf.Tensor2D, labels: readonly number[], objective: Objective = 'classification'): SetScore {
  const out = tf.tidy(() => {
    const logits = head.apply(features); // [N, C]
    return objective === 'regression' ? tf.reshape(logits, [-1]) : tf.argMax(logits, 1); // [N]
  });
  const predictions = Array.from(out.dataSync());
  out.dispose();
  const metric = scoreMetricOf(objective);
  return { metric, score: metric === 'accuracy' ? accuracy(predictions, labels) : pearsonAndSpearman(predictions, labels), predictions };
}

/** Score of prompt + head on a set (see {@link scoreFeatures}). */
export function evaluateSet(encoder: SentenceEncoder, head: LinearHead, set: EncodedSet, padId: number, batchSize: number, prompt?: tf.Tensor2D, objective: Objective = 'classification'): SetScore {
  const features = setFeatures(encoder, set, padId, batchSize, prompt);
  try {
    return scoreFeatures(head, features, set.labels, objective);
  } finally {
    features.dispose();
  }
}
