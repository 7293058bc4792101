import * as tf from '@tensorflow/tfjs-core';
import { PandaError } from '@panda/core';

/** What reads the features: logits = x·W + b, [B, in] → [B, C] (C = 1 for regression). */
export interface Head {
  readonly inputs: number;
  readonly outputs: number;
  /** @returns logits [B, C]; the caller owns them (or call inside tf.tidy). */
  apply(x: tf.Tensor2D): tf.Tensor2D;
  dispose(): void;
}

/** A trained head, fixed: copies of a run's `head/kernel` [in, C] and `head/bias` [C]. */
export class FixedHead implements Head {
  readonly inputs: number;
  readonly outputs: number;
  readonly #kernel: tf.Tensor2D;
  readonly #bias: tf.Tensor1D;

  /** @throws PandaError `SHAPE_MISMATCH` when the tensors are missing or do not fit each other. */
  constructor(weights: Readonly<Record<string, tf.Tensor>>) {
    const kernel = weights['head/kernel'];
    const bias = weights['head/bias'];
    if (!kernel || !bias || kernel.rank !== 2 || bias.rank !== 1 || bias.shape[0] !== kernel.shape[1]) {
      throw new PandaError('SHAPE_MISMATCH', `a head needs head/kernel [in, C] and head/bias [C]; got ${kernel ? `[${kernel.shape}]` : 'none'} and ${bias ? `[${bias.shape}]` : 'none'}`);
    }
    this.inputs = kernel.shape[0];
    this.outputs = kernel.shape[1];
    this.#kernel = kernel.clone() as tf.Tensor2D;
    this.#bias = bias.clone() as tf.Tensor1D;
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    return tf.add(tf.matMul(x, this.#kernel), this.#bias) as tf.Tensor2D; // [B, C]
  }

  dispose(): void {
    tf.dispose([this.#kernel, this.#bias]);
  }
}
