/** BertPooler: tanh(Dense(h[:, 0])), the first position's last hidden state. */
import * as tf from '@tensorflow/tfjs-core';
import { denseOf, type frozenDense } from './layer.js';
import type { DenseWeights } from './weights.js';

export class Pooler {
  private readonly dense: ReturnType<typeof frozenDense>;

  constructor(w: DenseWeights, trainable = false) {
    this.dense = denseOf(trainable)(w);
  }

  /**
   * @param first [B, H] the last hidden state at position 0
   * @returns [B, H] (call inside tf.tidy)
   */
  apply(first: tf.Tensor2D): tf.Tensor2D {
    return tf.tanh(this.dense.apply(first));
  }

  dispose(): void {
    tf.dispose(this.dense.owned);
  }
}
