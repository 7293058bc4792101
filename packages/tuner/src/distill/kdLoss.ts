import * as tf from '@tensorflow/tfjs-core';
import type { DistillConfig } from './config.js';

/**
 * The distillation term between student and teacher logits, as PANDA's released code computes it:
 * `F.mse_loss(z_S, z_T) / B`, i.e. (1/(B²·C)) Σ_{b,c} (z_S − z_T)² over a batch of B examples and C
 * classes (`kdNorm: 'panda'`), or the plain mean (1/(B·C)) Σ (`kdNorm: 'mean'`).
 *
 * For a micro-batch of b rows of a batch of `batchSize` rows (gradient accumulation), the mean is
 * over the micro-batch: the caller weights it by b/B like the task loss, which gives the full
 * batch's value when the micro-batches are summed.
 * @param student [b, C] logits (gradients flow into them)
 * @param teacher [b, C] logits (constants: they do not depend on the trained variables, so no
 *   gradient reaches the teacher; the released code backpropagates through it for nothing)
 * @param batchSize B, the full batch the step averages over
 * @returns scalar; the caller owns it (or call inside tf.tidy).
 */
export function kdLoss(student: tf.Tensor2D, teacher: tf.Tensor2D, norm: DistillConfig['kdNorm'], batchSize: number): tf.Scalar {
  return tf.tidy(() => {
    const mse = tf.mean(tf.square(tf.sub(student, teacher))) as tf.Scalar; // []
    return (norm === 'panda' ? tf.div(mse, batchSize) : mse) as tf.Scalar;
  });
}
