import * as tf from '@tensorflow/tfjs-core';

/**
 * Mean softmax cross-entropy.
 * @param logits [B, C]
 * @param labels int32 [B]
 * @returns scalar; the caller owns it (or call inside tf.tidy).
 */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const logp = tf.logSoftmax(logits); // [B, C]
    const onehot = tf.oneHot(labels, logits.shape[1]); // [B, C]
    return tf.neg(tf.mean(tf.sum(tf.mul(onehot, logp), 1))) as tf.Scalar;
  });
}
