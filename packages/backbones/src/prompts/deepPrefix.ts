/**
 * Deep prompt tuning: a trainable key/value prefix at every attention layer of a frozen encoder.
 *
 * Based on P-tuning v2 (Liu et al., 2022; THUDM/P-tuning-v2 `model/prefix_encoder.py` and
 * `get_prompt` in `model/sequence_classification.py`), the backbone PANDA forks:
 *
 * - the prefix is one table `E` of m rows; for a model with L layers of width d it is `[m, 2·L·d]`,
 *   and row i holds, for layer l, `key_l[i] = E[i, 2l·d : (2l+1)·d]` and
 *   `value_l[i] = E[i, (2l+1)·d : (2l+2)·d]` (slot 2l = key, slot 2l+1 = value);
 * - each slot is split into heads ([m, d] → [heads, m, d/heads]) and concatenated in front of the
 *   layer's own keys/values; queries come only from the real tokens; the attention mask gets m
 *   ones in front;
 * - dropout (p = 0.1, BERT's `hidden_dropout_prob`) is applied to the prefix of every example
 *   separately (`pkv` is [B, m, 2Ld] when it is dropped), in training only;
 * - optional reparameterisation (`--prefix_projection`): `Embedding(m, d) → Linear(d, 512) → tanh →
 *   Linear(512, 2·L·d)`; the raw parameters train, and the table they give is what inference uses.
 *
 * Layers of different widths (USE-Lite: layer 0 attends at d = 256, layer 1 at d = 512) keep the
 * same slot order with per-layer slot widths: `[m, 2·Σ_l d_l]`, layer l's key at offset
 * `2·Σ_{j<l} d_j`, its value right after it. For a uniform-width model (BERT) this is exactly P-tuning
 * v2's `m × 2·L·d` table, so its checkpoints (`prefix_encoder.embedding.weight`) load unchanged.
 */
import * as tf from '@tensorflow/tfjs-core';
import { PandaError, Rng } from '@panda/core';
import type { SentenceEncoder } from '../backbone.js';

/** Which widths the prefix table has, layer by layer. */
export interface PrefixLayout {
  /** Attention width d_l of every layer, in layer order (USE-Lite: [256, 512]). */
  readonly widths: readonly number[];
  /** Attention heads per layer (every d_l must be divisible by it). */
  readonly numHeads: number;
  /**
   * True when prefix rows take position ids from the tokens (Hugging Face's `past_key_values_length`
   * offset), so tokens have m fewer positions. False for USE-Lite: its timing signal is a fixed
   * table indexed by token position, and prefix keys/values carry no position.
   */
  readonly takesPositions?: boolean;
}

/** One key or value slot of the table. */
export interface PrefixSlot {
  layer: number;
  kind: 'key' | 'value';
  /** First column of the slot in the table. */
  offset: number;
  /** Columns of the slot (the layer's width d_l). */
  width: number;
}

/** Total columns of the prefix table: 2·Σ_l d_l (2·L·d for a uniform model). */
export function prefixTableWidth(layout: PrefixLayout): number {
  return 2 * layout.widths.reduce((a, b) => a + b, 0);
}

/** The slots in P-tuning v2 order: layer 0 key, layer 0 value, layer 1 key, layer 1 value, … */
export function prefixSlots(layout: PrefixLayout): PrefixSlot[] {
  const out: PrefixSlot[] = [];
  let offset = 0;
  layout.widths.forEach((width, layer) => {
    out.push({ layer, kind: 'key', offset, width });
    out.push({ layer, kind: 'value', offset: offset + width, width });
    offset += 2 * width;
  });
  return out;
}

/**
 * How the prefix starts.
 * - `matched` (default): every slot N(0, σ²) with σ the standard deviation of that layer's real
 *   keys (key slot) or values (value slot), measured on the frozen model (see
 *   {@link measureKeyValueStd}). The prefix then starts at the scale of the keys and values it sits
 *   beside: attention logits q·k of prefix keys are as large as those of real keys, so the prefix
 *   neither swamps the softmax nor vanishes from it.
 * - `normal`: N(0, 1), P-tuning v2's `nn.Embedding` default. On USE-Lite σ is far from 1 (see the
 *   README), so keys of scale 1 give prefix logits off the real keys' scale at step 0.
 * With reparameterisation the raw parameters start as PyTorch's defaults (embedding N(0, 1),
 * linear weights and biases U(±1/√fan_in)); `matched` then rescales the second linear layer's
 * columns so that each slot of the initial table has standard deviation σ.
 */
export type DeepPrefixInit = 'matched' | 'normal';

export interface DeepPrefixOptions {
  /** Prefix rows m. */
  length: number;
  layout: PrefixLayout;
  rng: Rng;
  init?: DeepPrefixInit;
  /** Per layer: σ of real keys and values (needed by `matched`). */
  keyValueStd?: ReadonlyArray<{ key: number; value: number }>;
  /** Reparameterise the table through an MLP (P-tuning v2 `--prefix_projection`). Default false. */
  projection?: boolean;
  /** Hidden width of the MLP (P-tuning v2 `prefix_hidden_size`, default 512). */
  hidden?: number;
  /** Width of the embedding the MLP reads (P-tuning v2: the model's hidden size; default: the widest layer). */
  embedDim?: number;
  /** Prefix dropout rate in training (default 0.1, P-tuning v2's `hidden_dropout_prob`). */
  dropout?: number;
}

/** A trainable tensor with the stable key it is saved under. */
export interface PrefixParam {
  key: string;
  variable: tf.Variable;
}

/**
 * The trainable deep prompt. Without reparameterisation its one parameter is the table itself
 * (`prefix`, [m, 2·Σ d_l]); with it, the raw parameters `prefix/embedding` [m, d0], `prefix/w1`
 * [d0, hidden], `prefix/b1` [hidden], `prefix/w2` [hidden, 2·Σ d_l], `prefix/b2` [2·Σ d_l], and
 * {@link fold} gives the table for inference.
 */
export class DeepPrefix {
  readonly length: number;
  readonly layout: PrefixLayout;
  /** Columns of the table: 2·Σ d_l. */
  readonly width: number;
  readonly slots: readonly PrefixSlot[];
  readonly projection: boolean;
  readonly hidden: number;
  readonly embedDim: number;
  readonly dropout: number;
  readonly init: DeepPrefixInit;
  /** The trainable parameters with their stable keys, in a fixed order. */
  readonly params: readonly PrefixParam[];

  constructor(options: DeepPrefixOptions) {
    const { length, layout, rng } = options;
    if (!Number.isInteger(length) || length < 1) {
      throw new PandaError('CONFIG_INVALID', `prefix length must be a positive integer, got ${length}`);
    }
    if (layout.widths.length === 0 || layout.widths.some((d) => !Number.isInteger(d) || d < 1 || d % layout.numHeads !== 0)) {
      throw new PandaError('CONFIG_INVALID', `prefix layout: every width must be a positive multiple of ${layout.numHeads} heads, got [${layout.widths}]`);
    }
    const dropout = options.dropout ?? 0.1;
    if (!(dropout >= 0 && dropout < 1)) throw new PandaError('CONFIG_INVALID', `prefix dropout must be in [0, 1), got ${dropout}`);
    this.length = length;
    this.layout = layout;
    this.width = prefixTableWidth(layout);
    this.slots = prefixSlots(layout);
    this.projection = options.projection ?? false;
    this.hidden = options.hidden ?? 512;
    this.embedDim = options.embedDim ?? Math.max(...layout.widths);
    this.dropout = dropout;
    this.init = options.init ?? 'matched';
    if (!Number.isInteger(this.hidden) || this.hidden < 1) throw new PandaError('CONFIG_INVALID', `prefix hidden width must be a positive integer, got ${this.hidden}`);

    let std: Float32Array | undefined; // per column of the table
    if (this.init === 'matched') {
      const kv = options.keyValueStd;
      if (!kv || kv.length !== layout.widths.length) {
        throw new PandaError('CONFIG_INVALID', `prefix init 'matched' needs the key/value std of each of the ${layout.widths.length} layers`);
      }
      std = new Float32Array(this.width);
      for (const s of this.slots) std.fill(kv[s.layer]![s.kind], s.offset, s.offset + s.width);
    }
    const uniq = `prefix/${Math.random().toString(36).slice(2)}`;
    const variable = (key: string, t: tf.Tensor): PrefixParam => {
      const v = tf.variable(t, true, `${uniq}/${key}`);
      t.dispose(); // the variable keeps its own reference to the data
      return { key, variable: v };
    };
    const normal = (n: number, scale?: Float32Array) => {
      const w = scale?.length ?? 1;
      return Float32Array.from({ length: n }, (_, i) => rng.normal() * (scale ? scale[i % w]! : 1));
    };
    const uniform = (n: number, bound: number) => Float32Array.from({ length: n }, () => (2 * rng.next() - 1) * bound);

    if (!this.projection) {
      this.params = [variable('prefix', tf.tensor2d(normal(length * this.width, std), [length, this.width]))];
      return;
    }
    const d0 = this.embedDim;
    const h = this.hidden;
    const w = this.width;
    const emb = normal(length * d0);
    const w1 = uniform(d0 * h, 1 / Math.sqrt(d0));
    const b1 = uniform(h, 1 / Math.sqrt(d0));
    const w2 = uniform(h * w, 1 / Math.sqrt(h));
    const b2 = uniform(w, 1 / Math.sqrt(h));
    if (std) {
      // Scale each column of the second layer so that every slot of the initial table has std σ.
      const scale = tf.tidy(() => {
        const t0 = mlp(tf.tensor2d(emb, [length, d0]), tf.tensor2d(w1, [d0, h]), tf.tensor1d(b1), tf.tensor2d(w2, [h, w]), tf.tensor1d(b2)); // [m, W]
        const out = new Float32Array(w);
        for (const s of this.slots) {
          const cur = Math.sqrt(tf.moments(tf.slice(t0, [0, s.offset], [length, s.width])).variance.dataSync()[0]!);
          out.fill(std![s.offset]! / Math.max(cur, 1e-12), s.offset, s.offset + s.width);
        }
        return out;
      });
      for (let i = 0; i < w2.length; i++) w2[i]! *= scale[i % w]!;
      for (let i = 0; i < w; i++) b2[i]! *= scale[i]!;
    }
    this.params = [
      variable('prefix/embedding', tf.tensor2d(emb, [length, d0])),
      variable('prefix/w1', tf.tensor2d(w1, [d0, h])),
      variable('prefix/b1', tf.tensor1d(b1)),
      variable('prefix/w2', tf.tensor2d(w2, [h, w])),
      variable('prefix/b2', tf.tensor1d(b2)),
    ];
  }

  /**
   * The table [m, 2·Σ d_l], differentiable with respect to {@link params} (use inside
   * `tf.variableGrads`). Without reparameterisation this is the variable itself: do not dispose it.
   */
  table(): tf.Tensor2D {
    if (!this.projection) return this.params[0]!.variable as tf.Tensor2D;
    const [e, w1, b1, w2, b2] = this.params.map((p) => p.variable) as unknown as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.Tensor2D, tf.Tensor1D];
    return tf.tidy(() => mlp(e, w1, b1, w2, b2)); // [m, W]
  }

  /**
   * The table a training step feeds the encoder: with dropout, one independent mask per example
   * (as P-tuning v2 drops the batch-expanded `pkv`), each drawn from its own seed, so a micro-batch
   * of accumulated gradients sees the same masks as the full batch; without dropout, the table.
   * @param seeds one 31-bit seed per example of the batch.
   * @returns [B, m, W] (or [m, W] when the rate is 0); a new tensor, or the variable itself when
   *   neither dropout nor reparameterisation applies (call inside tf.tidy).
   */
  trainingTable(seeds: readonly number[]): tf.Tensor2D | tf.Tensor3D {
    const table = this.table(); // [m, W]
    if (this.dropout === 0) return table;
    return prefixDropout(table, seeds, this.dropout);
  }

  /** The table for inference, outside any gradient: [m, 2·Σ d_l]; a new tensor the caller owns. */
  fold(): tf.Tensor2D {
    return tf.tidy(() => tf.clone(this.table()));
  }

  /** Parameter count (of the raw parameters). */
  size(): number {
    return this.params.reduce((a, p) => a + p.variable.size, 0);
  }

  dispose(): void {
    for (const p of this.params) p.variable.dispose();
  }
}

/**
 * Prefix dropout with one mask per example, each drawn from its own seed (inverted dropout: kept
 * entries scaled by 1/(1 − rate)). The same seeds give the same masks, whoever applies them (the
 * trained prefix, or a teacher's fixed prefix in distillation).
 * @param table [m, W]
 * @param seeds one 31-bit seed per example of the batch.
 * @returns [B, m, W]; the caller owns it (or call inside tf.tidy).
 */
export function prefixDropout(table: tf.Tensor2D, seeds: readonly number[], rate: number): tf.Tensor3D {
  return tf.tidy(() => {
    const [m, w] = table.shape;
    const masks = seeds.map((s) => tf.randomUniform([m, w], 0, 1, 'float32', s)); // B × [m, W]
    const kept = tf.cast(tf.greaterEqual(tf.stack(masks), rate), 'float32'); // [B, m, W]
    return tf.mul(tf.expandDims(table, 0), tf.mul(kept, 1 / (1 - rate))) as tf.Tensor3D; // [B, m, W]
  });
}

/** tanh(e·w1 + b1)·w2 + b2: [m, d0] → [m, W]. */
function mlp(e: tf.Tensor2D, w1: tf.Tensor2D, b1: tf.Tensor1D, w2: tf.Tensor2D, b2: tf.Tensor1D): tf.Tensor2D {
  const h = tf.tanh(tf.add(tf.matMul(e, w1), b1)); // [m, hidden]
  return tf.add(tf.matMul(h, w2), b2) as tf.Tensor2D; // [m, W]
}

/**
 * σ of every layer's real keys and values, measured on `rows` sequences of `length` random
 * vocabulary tokens drawn from a fixed seed: a constant of the backbone (not of the task or the
 * run), so every task's prefix starts from the same distribution (prompt transfer compares them).
 */
export function measureKeyValueStd(
  encoder: SentenceEncoder,
  sampleIds: readonly number[],
  options: { rows?: number; length?: number; seed?: string } = {},
): Array<{ key: number; value: number }> {
  if (!encoder.keyValueStd) throw new PandaError('CONFIG_INVALID', 'this encoder cannot report its key/value statistics (no deep-prompt injection point)');
  const rows = options.rows ?? 32;
  const length = Math.min(options.length ?? 32, encoder.maxPositions);
  const rng = new Rng(options.seed ?? 'prefix-init-calibration');
  const ids = tf.tensor2d(Int32Array.from({ length: rows * length }, () => sampleIds[rng.int(sampleIds.length)]!), [rows, length], 'int32');
  const mask = tf.ones([rows, length]) as tf.Tensor2D;
  try {
    return encoder.keyValueStd(ids, mask);
  } finally {
    tf.dispose([ids, mask]);
  }
}
