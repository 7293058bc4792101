import * as tf from '@tensorflow/tfjs-core';
import type { LinearHead, SentenceEncoder } from '@panda/backbones';
import { accuracy } from '@panda/datasets';
import { orderedBatches, padBatch, type EncodedSet } from '../data/batches.js';

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
        const { ids, mask } = padBatch(set, rows, padId);
        return encoder.forward({ ids, mask, ...(prompt ? { prompt } : {}) }).embedding; // [b, hidden]
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

/** Predicted classes and accuracy of `head` on features [N, hidden]. */
export function scoreFeatures(head: LinearHead, features: tf.Tensor2D, labels: readonly number[]): { accuracy: number; predictions: number[] } {
  const predicted = tf.tidy(() => tf.argMax(head.apply(features), 1)); // [N]
  const predictions = Array.from(predicted.dataSync() as Int32Array);
  predicted.dispose();
  return { accuracy: accuracy(predictions, labels), predictions };
}

/** Accuracy of prompt + head on a set. */
export function evaluateSet(encoder: SentenceEncoder, head: LinearHead, set: EncodedSet, padId: number, batchSize: number, prompt?: tf.Tensor2D): { accuracy: number; predictions: number[] } {
  const features = embedSet(encoder, set, padId, batchSize, prompt);
  try {
    return scoreFeatures(head, features, set.labels);
  } finally {
    features.dispose();
  }
}
