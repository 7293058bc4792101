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

/**
 * Mean squared error of a one-output regression head (PANDA's STS-B loss, `C = 1`).
 * @param outputs [B, 1]
 * @param targets float32 [B]
 * @returns scalar; the caller owns it (or call inside tf.tidy).
 */
export function meanSquaredError(outputs: tf.Tensor2D, targets: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.square(tf.sub(tf.reshape(outputs, [-1]), targets))) as tf.Scalar);
}
