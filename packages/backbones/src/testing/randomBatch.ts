import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@panda/core';

/**
 * Test helper: a padded batch of seeded random USE-Lite token ids in [6, 8000), rows of the given
 * lengths, width = the longest. The caller owns both tensors.
 * @returns ids int32 [B, T], mask float32 [B, T]
 */
export function randomBatch(lengths: number[], seed: number): { ids: tf.Tensor2D; mask: tf.Tensor2D } {
  const rng = new Rng(seed);
  const t = Math.max(...lengths);
  const ids = new Int32Array(lengths.length * t);
  const mask = new Float32Array(lengths.length * t);
  lengths.forEach((n, i) => {
    for (let j = 0; j < n; j++) {
      ids[i * t + j] = 6 + rng.int(7994);
      mask[i * t + j] = 1;
    }
  });
  return { ids: tf.tensor2d(ids, [lengths.length, t], 'int32'), mask: tf.tensor2d(mask, [lengths.length, t]) };
}
