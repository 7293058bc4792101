import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@panda/core';

/**
 * A trainable linear head: logits = x·W + b. With `outputs = C` it classifies into C classes;
 * with `outputs = 1` it is a regression head. Glorot-uniform W, zero b, seeded.
 */
export class LinearHead {
  readonly kernel: tf.Variable<tf.Rank.R2>; // [in, C]
  readonly bias: tf.Variable<tf.Rank.R1>; // [C]
  readonly inputs: number;
  readonly outputs: number;

  constructor(inputs: number, outputs: number, rng: Rng, name = 'head') {
    this.inputs = inputs;
    this.outputs = outputs;
    const limit = Math.sqrt(6 / (inputs + outputs));
    const w = new Float32Array(inputs * outputs);
    for (let i = 0; i < w.length; i++) w[i] = (2 * rng.next() - 1) * limit;
    const uniq = `${name}/${Math.random().toString(36).slice(2)}`;
    // Variables survive tf.tidy; their initial values do not.
    this.kernel = tf.tidy(() => tf.variable(tf.tensor2d(w, [inputs, outputs]), true, `${uniq}/kernel`));
    this.bias = tf.tidy(() => tf.variable(tf.zeros([outputs]) as tf.Tensor1D, true, `${uniq}/bias`));
  }

  /**
   * @param x [B, in]
   * @returns logits [B, C]; the caller owns them (or call inside tf.tidy).
   */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    return tf.add(tf.matMul(x, this.kernel), this.bias); // [B, C]
  }

  variables(): tf.Variable[] {
    return [this.kernel, this.bias];
  }

  dispose(): void {
    this.kernel.dispose();
    this.bias.dispose();
  }
}
