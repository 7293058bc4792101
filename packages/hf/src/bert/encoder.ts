/**
 * A Hugging Face BERT or RoBERTa encoder in TensorFlow.js ops, frozen, with the two injection
 * points panda trains through: an input soft prompt (PEFT prompt tuning: rows in front of the word
 * embeddings) and a deep prompt (P-tuning v2: a key/value prefix at every layer), plus the pooler,
 * all hidden states and the masked-LM head.
 */
import * as tf from '@tensorflow/tfjs-core';
import { PandaError } from '@panda/core';
import type { EncoderInput, PrefixLayout, SentenceEncoder, TrainableSentenceEncoder } from '@panda/backbones';
import type { HfModelConfig } from '../config/hfConfig.js';
import { embed } from './embeddings.js';
import { BertLayer, type LayerTaps } from './layer.js';
import { MlmHead } from './mlmHead.js';
import { activation } from './ops.js';
import { Pooler } from './pooler.js';
import { maxSequence, positionIds } from './positions.js';
import { checkPrefix, prefixKv, type PrefixState } from './prefix.js';
import { bertOnnxModel } from './onnxGraph.js';
import { bertWeightTensors, mapBertWeights, namedBertWeights, type BertWeights } from './weights.js';

/**
 * The input of a Hugging Face encoder: @panda/backbones' {@link EncoderInput}, whose `typeIds` are
 * BERT's token type ids (default all 0; prompt rows always get 0). The caller keeps ownership.
 */
export type HfEncoderInput = EncoderInput;

/** Output of {@link HfEncoder.probe}; the caller owns every tensor. */
export interface HfProbeOutput {
  /** L tensors [B, S, H]: every layer's output (S = prompt rows + T; a deep prefix adds no rows). */
  hidden: tf.Tensor3D[];
  /** L tensors [B, S, I]: every layer's feed-forward activation, act(Dense(a)) (I = intermediate_size). */
  ffn: tf.Tensor3D[];
  /** Index of the first real token in those tensors: the number of prompt rows. */
  offset: number;
}

/** Output of {@link HfEncoder.encode}; the caller owns every tensor. */
export interface HfEncodeOutput {
  /** [B, S, H] the last layer's output (S = prompt rows + T). */
  lastHidden: tf.Tensor3D;
  /**
   * With `hiddenStates: true`: L + 1 tensors [B, S, H], the embedding output then every layer's
   * (Hugging Face's `output_hidden_states`); the last one is a separate tensor equal to lastHidden.
   */
  hiddenStates?: tf.Tensor3D[];
  /** [B, H] the pooler output tanh(Dense(h[:, 0])), when the checkpoint has a pooler. */
  poolerOutput?: tf.Tensor2D;
}

export interface HfEncoderOptions {
  /**
   * Reproduce Hugging Face's position-id offset under a deep prefix: with `past_key_values` of
   * length m, the tokens take positions m … m+T−1 (what P-tuning v2 and PANDA trained with). Default
   * false: tokens keep positions 0 … T−1 (RoBERTa: from padding_idx + 1) whatever the prefix, so a
   * prefix changes the model only through attention and a zero-length prefix is the plain model.
   */
  prefixPositionOffset?: boolean;
  /**
   * Dense layers as plain products so gradients reach the weights (set by {@link HfEncoder.trainableCopy},
   * whose weights are variables); default false: frozen.
   */
  trainable?: boolean;
}

/** float32 lowest value, Hugging Face's additive mask value (`torch.finfo(dtype).min`). */
const MASK_VALUE = -3.4028234663852886e38;

export class HfEncoder implements SentenceEncoder {
  readonly config: HfModelConfig;
  /** Width of the hidden states, the pooler output and the sentence embedding. */
  readonly hidden: number;
  /** Width of a soft-prompt row: the word-embedding width. */
  readonly embedDim: number;
  /**
   * Longest prompt + token sequence the position table takes: max_position_embeddings for BERT,
   * max_position_embeddings − padding_idx − 1 for RoBERTa (its positions start after padding_idx).
   * With {@link HfEncoderOptions.prefixPositionOffset} a prefix of m rows takes m of them.
   */
  readonly maxPositions: number;
  readonly prefixLayout: PrefixLayout;
  readonly prefixPositionOffset: boolean;
  readonly hasPooler: boolean;
  readonly hasMlmHead: boolean;
  /** The raw weights (owned by the encoder; freed by {@link dispose}). */
  readonly weights: BertWeights;

  /** True for a copy made by {@link trainableCopy}: its weights are `tf.Variable`s that train. */
  readonly trainable: boolean;
  private readonly options: HfEncoderOptions;
  private readonly layers: BertLayer[];
  private readonly pooler?: Pooler;
  private readonly mlm?: MlmHead;
  private disposed = false;

  /** Takes ownership of `weights`. */
  constructor(weights: BertWeights, config: HfModelConfig, options: HfEncoderOptions = {}) {
    this.config = config;
    this.weights = weights;
    this.options = options;
    this.trainable = options.trainable ?? false;
    this.hidden = config.hidden;
    this.embedDim = config.hidden;
    this.prefixPositionOffset = options.prefixPositionOffset ?? false;
    this.maxPositions = maxSequence({ arch: config.arch, maxPositionEmbeddings: config.maxPositionEmbeddings, padId: config.padTokenId, fromEmbeddings: false });
    this.prefixLayout = { widths: Array.from({ length: config.layers }, () => config.hidden), numHeads: config.heads, takesPositions: this.prefixPositionOffset };
    const act = activation(config.hiddenAct);
    this.layers = weights.layers.map((w) => new BertLayer(w, config.hidden, config.heads, config.layerNormEps, act, this.trainable));
    if (weights.pooler) this.pooler = new Pooler(weights.pooler, this.trainable);
    if (weights.mlm) this.mlm = new MlmHead(weights.mlm, config);
    this.hasPooler = !!weights.pooler;
    this.hasMlmHead = !!weights.mlm;
  }

  /**
   * The sentence encoder view: `embedding` is what a classification head reads, the pooler output
   * tanh(Dense(h[:, 0])) as in BertForSequenceClassification and P-tuning v2 (h[:, 0] itself when
   * the checkpoint has no pooler, as RoBERTa MLM checkpoints do not); `pooled` is the mean of the
   * last hidden states over the real tokens (prompt rows and padding excluded). Position 0 is the
   * first prompt row when there is a prompt (PEFT's behaviour), [CLS]/<s> otherwise.
   * Differentiable with respect to `prompt` and `prefix`.
   * @returns both [B, H]; the caller owns them.
   */
  forward(input: HfEncoderInput): { pooled: tf.Tensor2D; embedding: tf.Tensor2D } {
    return tf.tidy(() => {
      const { lastHidden, poolerOutput } = this.run(input, false);
      const [b, s, h] = lastHidden.shape;
      const first = tf.reshape(tf.slice(lastHidden, [0, 0, 0], [b, 1, h]), [b, h]) as tf.Tensor2D; // [B, H]
      const embedding = poolerOutput ?? first; // [B, H]
      const t = input.ids.shape[1];
      const tokens = tf.slice(lastHidden, [0, s - t, 0], [b, t, h]); // [B, T, H]
      const mask = input.mask.dtype === 'float32' ? input.mask : tf.cast(input.mask, 'float32'); // [B, T]
      const summed = tf.sum(tf.mul(tokens, tf.expandDims(mask, 2)), 1); // [B, H]
      const pooled = tf.div(summed, tf.maximum(tf.sum(mask, 1, true), 1)) as tf.Tensor2D; // [B, H]
      return { pooled, embedding };
    });
  }

  /**
   * The encoder's outputs as Hugging Face returns them: last hidden state, optionally every hidden
   * state, and the pooler output.
   */
  encode(input: HfEncoderInput, options: { hiddenStates?: boolean } = {}): HfEncodeOutput {
    return tf.tidy(() => this.run(input, options.hiddenStates ?? false) as unknown as tf.TensorContainerObject) as unknown as HfEncodeOutput;
  }

  /**
   * Inside view for transferability metrics (the {@link SentenceEncoder.probe} contract): every
   * layer's output and feed-forward activation on [prompt ‖ tokens], from the same layer loop as
   * {@link forward} and {@link encode} (`hidden` equals `encode`'s hidden states after the embeddings).
   * @returns tensors the caller owns; see {@link HfProbeOutput}.
   */
  probe(input: HfEncoderInput): HfProbeOutput {
    const [b, t] = input.ids.shape;
    const m = input.prompt ? input.prompt.shape[0] : 0;
    const s = m + t;
    const out = tf.tidy(() => {
      const states: tf.Tensor3D[] = [];
      const ffn: tf.Tensor3D[] = [];
      this.stack(input, { hidden: states, ffn: (i) => ffn.push(tf.reshape(i, [b, s, i.shape[1]]) as tf.Tensor3D) }); // each [B, S, I]
      return { hidden: states.slice(1), ffn }; // the embedding output is dropped by the tidy
    });
    return { ...out, offset: m };
  }

  /**
   * Masked-LM logits (the `*ForMaskedLM` head).
   * @param options.positions one sequence index per row (prompt rows count): logits there only,
   *   [B, V]; without it, every position: [B, S, V].
   * @throws `MODEL_NOT_FOUND` when the checkpoint has no masked-LM head.
   */
  mlmLogits(input: HfEncoderInput, options: { positions?: readonly number[] } = {}): tf.Tensor {
    const head = this.mlm;
    if (!head) {
      throw new PandaError('MODEL_NOT_FOUND', `this ${this.config.architecture} checkpoint has no masked-LM head (${this.config.arch === 'bert' ? 'cls.predictions.*' : 'lm_head.*'})`);
    }
    const positions = options.positions;
    if (positions && positions.length !== input.ids.shape[0]) {
      throw new PandaError('SHAPE_MISMATCH', `mlmLogits: ${positions.length} positions for a batch of ${input.ids.shape[0]}`);
    }
    return tf.tidy(() => {
      const { lastHidden } = this.run(input, false);
      const [b, s, h] = lastHidden.shape;
      if (positions) {
        const bad = positions.find((p) => !Number.isInteger(p) || p < 0 || p >= s);
        if (bad !== undefined) throw new PandaError('SHAPE_MISMATCH', `mlmLogits: position ${bad} is outside the sequence of ${s}`);
        const rows = tf.tensor1d(positions.map((p, i) => i * s + p), 'int32'); // [B]
        return head.apply(tf.gather(tf.reshape(lastHidden, [b * s, h]), rows) as tf.Tensor2D); // [B, V]
      }
      return tf.reshape(head.apply(tf.reshape(lastHidden, [b * s, h]) as tf.Tensor2D), [b, s, head.vocabSize]); // [B, S, V]
    });
  }

  /**
   * σ of every layer's real keys and values (all entries of the key/value projections at real
   * token positions, no prompt or prefix): what a deep prefix initialised `matched` is scaled to.
   */
  keyValueStd(ids: tf.Tensor2D, mask: tf.Tensor2D): Array<{ key: number; value: number }> {
    this.assertAlive();
    const [b, t] = ids.shape;
    const stats = tf.tidy(() => {
      const maskF = mask.dtype === 'float32' ? mask : (tf.cast(mask, 'float32') as tf.Tensor2D);
      const rowMask = tf.reshape(maskF, [b * t, 1]); // [B·T, 1]
      const n = tf.mul(tf.sum(maskF), this.hidden);
      const std = (x: tf.Tensor2D): tf.Scalar => {
        const mean = tf.div(tf.sum(tf.mul(x, rowMask)), n);
        return tf.sqrt(tf.div(tf.sum(tf.mul(tf.square(tf.sub(x, mean)), rowMask)), n)) as tf.Scalar;
      };
      const out: tf.Scalar[] = [];
      this.stack({ ids, mask: maskF }, { kv: (k, v) => out.push(std(k), std(v)) });
      return out;
    });
    const values = stats.map((s) => s.dataSync()[0]!);
    tf.dispose(stats);
    return this.layers.map((_, li) => ({ key: values[2 * li]!, value: values[2 * li + 1]! }));
  }

  /**
   * The inputs of this encoder's ONNX layer graph (see `onnxGraph.ts`) for one batch: the
   * embeddings output and the key mask from the same {@link prepare} as every TensorFlow.js path,
   * the token mask, and the shared deep-prompt table when there is one.
   * @throws `CONFIG_INVALID` for a per-example [B, mp, W] prefix (training only), as {@link prepare} for the rest
   */
  onnxFeeds(input: HfEncoderInput): { x: Float32Array; keyMask: Float32Array; mask: Float32Array; prefix?: Float32Array; dims: { b: number; s: number; t: number; mp: number } } {
    if (input.prefix && input.prefix.rank !== 2) throw new PandaError('CONFIG_INVALID', 'the ONNX forward takes a shared [mp, W] prefix (no per-example prefix dropout)');
    return tf.tidy(() => {
      const { x, b, s, t, pre, keyMask } = this.prepare(input);
      const mask = input.mask.dtype === 'float32' ? input.mask : tf.cast(input.mask, 'float32');
      return {
        x: x.dataSync() as Float32Array,
        keyMask: keyMask.dataSync() as Float32Array,
        mask: mask.dataSync() as Float32Array,
        ...(pre ? { prefix: pre.table.dataSync() as Float32Array } : {}),
        dims: { b, s, t, mp: pre?.m ?? 0 },
      };
    });
  }

  /** This encoder's layers, pooler and pooling as a serialised ONNX model (see `onnxGraph.ts`). */
  onnxModel(variant: { prefix: boolean }): Uint8Array {
    this.assertAlive();
    return bertOnnxModel(this.weights, this.config, variant);
  }

  /**
   * Model tuning: an independent copy whose encoder weights (embeddings, layers, pooler; not the
   * masked-LM head) are `tf.Variable`s that gradients reach. This encoder is left as it is; the
   * caller owns (and disposes) the copy.
   */
  trainableCopy(): HfEncoder & TrainableSentenceEncoder {
    this.assertAlive();
    const weights = mapBertWeights(this.weights, (_name, t) => tf.variable(t, true));
    return new HfEncoder(weights, this.config, { ...this.options, trainable: true }) as HfEncoder & TrainableSentenceEncoder;
  }

  /** The copy's trainable weights under the names of `namedBertWeights`; empty for a frozen encoder. */
  variables(): Record<string, tf.Variable> {
    if (!this.trainable) return {};
    const out: Record<string, tf.Variable> = {};
    for (const [name, t] of Object.entries(namedBertWeights(this.weights))) if (t instanceof tf.Variable) out[name] = t;
    return out;
  }

  /** Frees the weights and every precomputed tensor; the encoder is unusable afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const l of this.layers) l.dispose();
    this.pooler?.dispose();
    tf.dispose(bertWeightTensors(this.weights));
  }

  private assertAlive(): void {
    if (this.disposed) throw new PandaError('INTERNAL', 'Hugging Face encoder used after dispose()');
  }

  /** Everything the forward paths share (call inside tf.tidy). */
  private run(input: HfEncoderInput, keepHidden: boolean): HfEncodeOutput {
    const hidden: tf.Tensor3D[] = [];
    const out = this.stack(input, keepHidden ? { hidden } : {});
    const last = keepHidden ? (tf.clone(out) as tf.Tensor3D) : out; // [B, S, H], its own tensor
    const [b, , h] = last.shape;
    const poolerOutput = this.pooler ? this.pooler.apply(tf.reshape(tf.slice(last, [0, 0, 0], [b, 1, h]), [b, h]) as tf.Tensor2D) : undefined;
    return { lastHidden: last, ...(keepHidden ? { hiddenStates: hidden } : {}), ...(poolerOutput ? { poolerOutput } : {}) };
  }

  /**
   * What every layer loop starts from: the checked input, the embeddings output [B, S, H] (prompt
   * rows first), the prefix state and the key mask [B, mp + S] (1 where a key may be attended to).
   * Shared by {@link stack} and the ONNX forward ({@link onnxFeeds}); call inside tf.tidy.
   */
  private prepare(input: HfEncoderInput): { x: tf.Tensor3D; b: number; s: number; t: number; m: number; pre?: PrefixState; keyMask: tf.Tensor2D } {
    this.assertAlive();
    const { ids, mask, prompt, prefix, prefixMask, typeIds } = input;
    if (input.soft) {
      throw new PandaError('CONFIG_INVALID', `${this.config.arch} encoder: soft tokens inside the text are not supported on Hugging Face backbones yet (use soft rows in front: prompt-tuning without template soft tokens)`);
    }
    if (ids.rank !== 2 || mask.rank !== 2 || ids.shape[0] !== mask.shape[0] || ids.shape[1] !== mask.shape[1]) {
      throw new PandaError('SHAPE_MISMATCH', `${this.config.arch} forward: ids [${ids.shape}] and mask [${mask.shape}] must both be [B, T]`);
    }
    if (typeIds && (typeIds.rank !== 2 || typeIds.shape[0] !== ids.shape[0] || typeIds.shape[1] !== ids.shape[1])) {
      throw new PandaError('SHAPE_MISMATCH', `${this.config.arch} forward: typeIds [${typeIds.shape}] must be [${ids.shape}]`);
    }
    if (prompt && (prompt.rank !== 2 || prompt.shape[1] !== this.embedDim)) {
      throw new PandaError('SHAPE_MISMATCH', `${this.config.arch} forward: prompt must be [m, ${this.embedDim}], got [${prompt.shape}]`);
    }
    const [b, t] = ids.shape;
    const m = prompt ? prompt.shape[0] : 0;
    const mp = prefix ? checkPrefix(prefix, prefixMask, b, this.prefixLayout) : 0;
    const s = m + t;
    const maskF = mask.dtype === 'float32' ? mask : (tf.cast(mask, 'float32') as tf.Tensor2D);
    const seqMask = m > 0 ? (tf.concat([tf.ones([b, m]), maskF], 1) as tf.Tensor2D) : maskF; // [B, S]
    const positions = positionIds(seqMask, {
      arch: this.config.arch,
      maxPositionEmbeddings: this.config.maxPositionEmbeddings,
      padId: this.config.padTokenId,
      past: this.prefixPositionOffset ? mp : 0,
      fromEmbeddings: m > 0,
    }); // [B, S]
    const x = embed(this.weights, this.config.layerNormEps, ids, positions, m > 0 ? prompt : undefined, typeIds); // [B, S, H]
    const pre: PrefixState | undefined =
      prefix && mp > 0 ? { table: prefix, m: mp, mask: prefixMask ? (prefixMask.dtype === 'float32' ? prefixMask : (tf.cast(prefixMask, 'float32') as tf.Tensor2D)) : (tf.ones([b, mp]) as tf.Tensor2D) } : undefined;
    const keyMask = (pre ? tf.concat([pre.mask, seqMask], 1) : seqMask) as tf.Tensor2D; // [B, mp + S]
    return { x, b, s, t, m, ...(pre ? { pre } : {}), keyMask };
  }

  /**
   * Embeddings and every layer: the one layer loop forward, encode, probe and keyValueStd share.
   * @param taps each layer's taps (key/value projections, feed-forward activations), and `hidden`,
   *   which collects the L + 1 hidden states [B, S, H] when given (the last is the returned tensor)
   * @returns [B, S, H] the last layer's output (call inside tf.tidy)
   */
  private stack(input: HfEncoderInput, taps: LayerTaps & { hidden?: tf.Tensor3D[] } = {}): tf.Tensor3D {
    const { hidden, ...layerTaps } = taps;
    const { x: x0, b, s, pre, keyMask } = this.prepare(input);
    let x = x0;
    hidden?.push(x);
    const bias = tf.reshape(tf.mul(tf.sub(1, keyMask), MASK_VALUE), [b, 1, 1, keyMask.shape[1]]) as tf.Tensor4D; // [B, 1, 1, mp + S]
    let h2 = tf.reshape(x, [b * s, this.hidden]) as tf.Tensor2D; // [B·S, H]
    this.layers.forEach((layer, li) => {
      const pkv = pre ? prefixKv(pre, li, this.hidden, this.config.heads, b) : undefined;
      h2 = layer.apply(h2, b, s, bias, pkv, layerTaps); // [B·S, H]
      x = tf.reshape(h2, [b, s, this.hidden]) as tf.Tensor3D; // [B, S, H]
      hidden?.push(x);
    });
    return x; // [B, S, H]
  }
}
