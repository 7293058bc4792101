/**
 * One BertLayer (post-norm):
 *   a   = LayerNorm(Dense(MHA(x)) + x)          (BertAttention)
 *   out = LayerNorm(Dense(act(Dense(a))) + a)    (BertIntermediate + BertOutput)
 * Attention is q·kᵀ/√d_h + mask bias, softmax, ·v; with a deep prefix the keys/values are
 * [prefix ; sequence] (Hugging Face's `past_key_values`), the queries the sequence's only.
 * Dense layers are @panda/runtime's `frozenLinear` with the transpose made once at load: gradients
 * reach the input (the prompt or prefix upstream), never the weights. A trainable layer (model
 * tuning, on variables) multiplies plainly, so gradients reach the weights too.
 */
import * as tf from '@tensorflow/tfjs-core';
import { freezeWeight, frozenLinear, type FrozenWeight } from '@panda/runtime';
import { layerNorm } from './ops.js';
import type { BertLayerWeights, DenseWeights } from './weights.js';

type Linear = (x: tf.Tensor2D) => tf.Tensor2D;

/** What a layer hands out while it runs (statistics, probes): tensors of the enclosing tidy. */
export interface LayerTaps {
  /** Receives the key and value projections [B·S, H]. */
  kv?: (k: tf.Tensor2D, v: tf.Tensor2D) => void;
  /** Receives the feed-forward activation act(Dense(a)) [B·S, I] (BertIntermediate's output). */
  ffn?: (i: tf.Tensor2D) => void;
}

/** A frozen dense layer: [N, in] → [N, out]; `owned` is the transpose it made. */
export function frozenDense(d: DenseWeights): { apply: Linear; owned: tf.Tensor[] } {
  const fw: FrozenWeight = freezeWeight(d.w);
  return { apply: (x) => frozenLinear(x, fw, d.b), owned: [fw.wT] };
}

/** A dense layer whose weights train: x·w + b, differentiable in all three; owns nothing. */
export function trainableDense(d: DenseWeights): { apply: Linear; owned: tf.Tensor[] } {
  return { apply: (x) => tf.add(tf.matMul(x, d.w), d.b) as tf.Tensor2D, owned: [] };
}

/** The dense layers of a frozen or a trainable encoder. */
export const denseOf = (trainable: boolean): ((d: DenseWeights) => { apply: Linear; owned: tf.Tensor[] }) => (trainable ? trainableDense : frozenDense);

export class BertLayer {
  private readonly qkv: Linear;
  private readonly attnOut: Linear;
  private readonly inter: Linear;
  private readonly out: Linear;
  private readonly owned: tf.Tensor[] = [];
  private readonly headDim: number;

  constructor(
    private readonly w: BertLayerWeights,
    private readonly hidden: number,
    private readonly heads: number,
    private readonly eps: number,
    private readonly act: <T extends tf.Tensor>(x: T) => T,
    trainable = false,
  ) {
    const mk = (d: DenseWeights): Linear => {
      const f = denseOf(trainable)(d);
      this.owned.push(...f.owned);
      return f.apply;
    };
    this.qkv = mk(w.qkv);
    this.attnOut = mk(w.attnOut);
    this.inter = mk(w.inter);
    this.out = mk(w.out);
    this.headDim = hidden / heads;
  }

  /**
   * @param x [B·S, H] the layer input
   * @param bias [B, 1, 1, mp + S] additive key mask (0 or float32 min)
   * @param pkv the prefix's keys/values for this layer, [B, n_h, mp, d_h] each
   * @param taps receive intermediate tensors (see {@link LayerTaps})
   * @returns [B·S, H] (call inside tf.tidy)
   */
  apply(x: tf.Tensor2D, b: number, s: number, bias: tf.Tensor4D, pkv?: { k: tf.Tensor4D; v: tf.Tensor4D }, taps: LayerTaps = {}): tf.Tensor2D {
    const h = this.hidden;
    const [q2, k2, v2] = tf.split(this.qkv(x), 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D]; // 3 × [B·S, H]
    taps.kv?.(k2, v2);
    const q = this.splitHeads(q2, b, s); // [B, n_h, S, d_h]
    let k = this.splitHeads(k2, b, s); // [B, n_h, S, d_h]
    let v = this.splitHeads(v2, b, s); // [B, n_h, S, d_h]
    if (pkv) {
      k = tf.concat([pkv.k, k], 2); // [B, n_h, mp + S, d_h]
      v = tf.concat([pkv.v, v], 2); // [B, n_h, mp + S, d_h]
    }
    const scores = tf.add(tf.div(tf.matMul(q, k, false, true), Math.sqrt(this.headDim)), bias); // [B, n_h, S, mp + S]
    const ctx = tf.matMul(tf.softmax(scores), v); // [B, n_h, S, d_h]
    const merged = tf.reshape(tf.transpose(ctx, [0, 2, 1, 3]), [b * s, h]) as tf.Tensor2D; // [B·S, H]
    const a = layerNorm(tf.add(this.attnOut(merged), x) as tf.Tensor2D, this.w.attnLn, this.eps); // [B·S, H]
    const i = this.act(this.inter(a)); // [B·S, I]
    taps.ffn?.(i);
    return layerNorm(tf.add(this.out(i), a) as tf.Tensor2D, this.w.outLn, this.eps); // [B·S, H]
  }

  dispose(): void {
    tf.dispose(this.owned);
  }

  /** [B·S, H] → [B, n_h, S, d_h] */
  private splitHeads(x: tf.Tensor2D, b: number, s: number): tf.Tensor4D {
    return tf.transpose(tf.reshape(x, [b, s, this.heads, this.headDim]), [0, 2, 1, 3]);
  }
}
