import * as tf from '@tensorflow/tfjs-core';
import { PandaError } from '@panda/core';
import { prefixDropout, type SentenceEncoder } from '@panda/backbones';
import { pairFeatures } from '../eval/evaluate.js';

/** A padded batch for a teacher: the tokens, and for two-tower pairs the second texts' tokens. */
export interface TeacherBatch {
  ids: tf.Tensor2D; // int32 [b, T]
  mask: tf.Tensor2D; // float32 [b, T]
  idsB?: tf.Tensor2D; // int32 [b, T']
  maskB?: tf.Tensor2D; // float32 [b, T']
}

/**
 * A teacher for distillation: a trained prompt (soft prompt rows or a deep prefix table) with its
 * head, run on the same frozen encoder as the student. In PANDA the teacher is the source prompt
 * transferred to the target and tuned there (vanilla PoT); its weights never change.
 */
export interface TeacherSpec {
  /**
   * `prompt` [m, embedDim] or `prefix` [m, 2·Σ d_l] (folded table), plus `head/kernel` [hidden, C]
   * and `head/bias` [C]. The tuner copies them; the caller keeps ownership of these tensors.
   */
  weights: Record<string, tf.Tensor>;
  /** The pair's predicted transferability mapped to a KD weight (PANDA: β = max(cos, 0)). */
  beta: number;
  /** Prefix dropout rate of the teacher's run (deep prompts), applied when teacher dropout is on. */
  prefixDropout?: number;
  /** A name for logs and the run manifest (e.g. the source task). */
  name?: string;
}

/** A loaded teacher: copies of its weights and a forward pass that gives logits. */
export class Teacher {
  readonly name: string;
  readonly beta: number;
  readonly dropout: number;
  private readonly prompt?: tf.Tensor2D;
  private readonly prefix?: tf.Tensor2D;
  private readonly kernel: tf.Tensor2D;
  private readonly bias: tf.Tensor1D;

  /**
   * @param classes head outputs C (1 for regression)
   * @param options.inputs width of the features the head reads (default the encoder's hidden size;
   *   4·hidden for two-tower pairs)
   */
  constructor(spec: TeacherSpec, encoder: SentenceEncoder, classes: number, options: { dropoutOn: boolean; inputs?: number }) {
    const w = spec.weights;
    this.name = spec.name ?? 'teacher';
    if (!(spec.beta >= 0) || !Number.isFinite(spec.beta)) throw new PandaError('CONFIG_INVALID', `teacher ${this.name}: β must be a finite number ≥ 0, got ${spec.beta}`);
    this.beta = spec.beta;
    const kernel = w['head/kernel'];
    const bias = w['head/bias'];
    if (!kernel || !bias) throw new PandaError('CONFIG_INVALID', `teacher ${this.name} has no head (head/kernel, head/bias)`);
    const inputs = options.inputs ?? encoder.hidden;
    if (kernel.rank !== 2 || kernel.shape[0] !== inputs || kernel.shape[1] !== classes || bias.shape.join() !== `${classes}`) {
      throw new PandaError('SHAPE_MISMATCH', `teacher ${this.name}: head is [${kernel.shape}] + [${bias.shape}], the student's is [${inputs}, ${classes}] + [${classes}] (teacher and student must encode pairs the same way)`);
    }
    if (w.prompt && w.prefix) throw new PandaError('CONFIG_INVALID', `teacher ${this.name} has both a prompt and a prefix`);
    if (w.prompt && (w.prompt.rank !== 2 || w.prompt.shape[1] !== encoder.embedDim)) {
      throw new PandaError('SHAPE_MISMATCH', `teacher ${this.name}: prompt is [${w.prompt.shape}], the encoder takes [m, ${encoder.embedDim}]`);
    }
    if (w.prefix && !encoder.prefixLayout) throw new PandaError('CONFIG_INVALID', `teacher ${this.name} has a deep prefix but the encoder takes none`);
    this.dropout = options.dropoutOn && w.prefix ? (spec.prefixDropout ?? 0) : 0;
    this.kernel = tf.clone(kernel) as tf.Tensor2D;
    this.bias = tf.clone(bias) as tf.Tensor1D;
    if (w.prompt) this.prompt = tf.clone(w.prompt) as tf.Tensor2D;
    if (w.prefix) this.prefix = tf.clone(w.prefix) as tf.Tensor2D;
  }

  /** True when the teacher gives the same logits for an example every time (no dropout). */
  get deterministic(): boolean {
    return this.dropout === 0;
  }

  /**
   * @param batch the tokens (and, for two-tower pairs, the second texts' tokens)
   * @param seeds one dropout seed per example (used only when the teacher has dropout)
   * @returns logits [b, C]; the caller owns them (or call inside tf.tidy).
   */
  logits(encoder: SentenceEncoder, batch: TeacherBatch, seeds: readonly number[]): tf.Tensor2D {
    return tf.tidy(() => {
      const prefix = this.prefix ? (this.dropout > 0 ? prefixDropout(this.prefix, seeds, this.dropout) : this.prefix) : undefined;
      const embed = (ids: tf.Tensor2D, mask: tf.Tensor2D) => encoder.forward({ ids, mask, ...(this.prompt ? { prompt: this.prompt } : {}), ...(prefix ? { prefix } : {}) }).embedding; // [b, hidden]
      const u = embed(batch.ids, batch.mask); // [b, hidden]
      const features = batch.idsB && batch.maskB ? pairFeatures(u, embed(batch.idsB, batch.maskB)) : u; // [b, hidden] or [b, 4·hidden]
      return tf.add(tf.matMul(features, this.kernel), this.bias) as tf.Tensor2D; // [b, C]
    });
  }

  dispose(): void {
    tf.dispose([this.kernel, this.bias, ...(this.prompt ? [this.prompt] : []), ...(this.prefix ? [this.prefix] : [])]);
  }
}
