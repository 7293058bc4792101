import * as tf from '@tensorflow/tfjs-core';

/**
 * `tf.gather(table, ids)` (rows of an embedding table) whose gradient reaches the table on every
 * backend. tfjs differentiates gather with `UnsortedSegmentSum`, which the wasm backend does not
 * have; `ScatterNd`, which sums the rows of repeated ids, gives the same dense gradient [V, d].
 * Model tuning's embedding tables train through it; a frozen table costs nothing extra.
 * @param table [V, d]; ids int32 [N]
 * @returns [N, d] (call inside tf.tidy, or the caller owns it)
 */
export function gatherRows(table: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor2D {
  const n = ids.shape[0];
  // The ids go through `save`, so the backward pass still has them after the caller's tidy that
  // made them has ended (a forward inside tf.tidy, differentiated later by tf.variableGrads).
  const op = tf.customGrad((t, i, save) => {
    (save as tf.GradSaveFunc)([i as tf.Tensor1D]);
    return {
      value: tf.gather(t as tf.Tensor2D, i as tf.Tensor1D), // [N, d]
      gradFunc: (dy, saved) => [tf.scatterND(tf.reshape(saved[0]!, [n, 1]), dy as tf.Tensor2D, table.shape), tf.zerosLike(saved[0]!)], // [V, d]; none for the ids
    };
  });
  return op(table, ids) as tf.Tensor2D;
}
