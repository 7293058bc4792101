import * as tf from '@tensorflow/tfjs-core';
import { PandaError, Rng } from '@panda/core';

export type SoftPromptInit = 'vocab' | 'random';

export interface SoftPromptOptions {
  /** Number of prompt rows m. */
  length: number;
  /** Width of each row (the encoder's input width: 256 for USE-Lite). */
  width: number;
  /**
   * `vocab` (default): each row starts as the input vector of a random vocabulary token, so the
   * prompt begins inside the distribution the frozen model was trained on (PEFT's SAMPLE_VOCAB).
   * `random`: N(0, σ²) with σ the standard deviation of the token input vectors.
   */
  init?: SoftPromptInit;
  rng: Rng;
  /** Token input vectors to sample from: [V, width] (the encoder's scaled embedding table). */
  tokenTable?: tf.Tensor2D;
  /** Ids that may be sampled (default: all rows of `tokenTable`). */
  sampleIds?: readonly number[];
}

/** The m trainable vectors of input prompt tuning. */
export class SoftPrompt {
  readonly rows: tf.Variable<tf.Rank.R2>; // [m, width]
  readonly length: number;
  readonly width: number;

  constructor(options: SoftPromptOptions) {
    const { length, width, rng } = options;
    if (!Number.isInteger(length) || length < 1) {
      throw new PandaError('CONFIG_INVALID', `prompt length must be a positive integer, got ${length}`);
    }
    this.length = length;
    this.width = width;
    const init = tf.tidy(() => {
      const table = options.tokenTable;
      if ((options.init ?? 'vocab') === 'vocab') {
        if (!table) throw new PandaError('CONFIG_INVALID', "init 'vocab' needs the encoder's token table");
        const pool = options.sampleIds ?? Array.from({ length: table.shape[0] }, (_, i) => i);
        const ids = Array.from({ length }, () => pool[rng.int(pool.length)]!);
        return tf.gather(table, tf.tensor1d(ids, 'int32')); // [m, width]
      }
      const std = table ? tf.sqrt(tf.moments(table).variance).dataSync()[0]! : 1;
      const vals = Float32Array.from({ length: length * width }, () => rng.normal() * std);
      return tf.tensor2d(vals, [length, width]);
    });
    this.rows = tf.variable(init as tf.Tensor2D, true, `prompt/${Math.random().toString(36).slice(2)}`);
    init.dispose(); // the variable keeps its own reference to the data
  }

  dispose(): void {
    this.rows.dispose();
  }
}
