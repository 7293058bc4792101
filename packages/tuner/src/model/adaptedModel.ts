import * as tf from '@tensorflow/tfjs-core';
import { PandaError } from '@panda/core';
import type { Backbone, EncoderInput, InferenceEngine } from '@panda/backbones';
import type { Example } from '@panda/datasets';
import { encodeExamples, orderedBatches, padBatch, secondTower, type EncodedSet } from '../data/batches.js';
import type { Injection, MethodInstance } from '../methods/method.js';
import type { Head } from './head.js';
import type { InputEncoding } from './inputEncoding.js';

/**
 * One padded batch: the tokens ids/mask [b, T] (with a template's soft-token index and a pair's
 * segment ids [b, T] when the set has them) and, for two-tower pairs, the second texts [b, T'].
 */
export interface PaddedBatch {
  ids: tf.Tensor2D; // int32 [b, T]
  mask: tf.Tensor2D; // float32 [b, T]
  soft?: tf.Tensor2D; // int32 [b, T]
  typeIds?: tf.Tensor2D; // int32 [b, T]
  idsB?: tf.Tensor2D; // int32 [b, T']
  maskB?: tf.Tensor2D; // float32 [b, T']
}

/**
 * The adapted model: a backbone, a tuning method's parameters, a head and the run's input encoding.
 * It is the one path from an example to logits — row → tokens → (prompt | prefix | soft tokens) →
 * encoder → sentence embedding (each tower) → features → head — that training, evaluation,
 * teachers, the service, task embeddings and prediction all use.
 *
 * It owns the method instance and the head (`dispose()` frees them); the backbone stays the caller's.
 */
export class AdaptedModel {
  constructor(
    readonly backbone: Backbone,
    readonly method: MethodInstance,
    readonly head: Head,
    readonly encoding: InputEncoding,
  ) {}

  /** Tokens a text may take: the model's positions less the method's rows, and the run's cap. */
  get maxTokens(): number {
    return Math.min(this.backbone.encoder.maxPositions - this.method.promptPositions, this.encoding.maxSeqLength ?? Number.POSITIVE_INFINITY);
  }

  /** Width of the features the head reads for a set with (`pairs`) or without second texts. */
  featureWidth(pairs: boolean): number {
    return pairs && this.encoding.pairs === 'two-tower' ? 4 * this.backbone.encoder.hidden : this.backbone.encoder.hidden;
  }

  /**
   * Tokenizes examples the way this model reads them (template, pair encoding, budget).
   * @throws PandaError `CONFIG_INVALID` for examples with a second text (`textB`) when the run was
   *   trained on single texts.
   */
  encode(examples: readonly Example[]): EncodedSet {
    if (this.encoding.textPairs === false) {
      const pairs = examples.filter((e) => e.textB !== undefined).length;
      if (pairs) {
        throw new PandaError(
          'CONFIG_INVALID',
          `this run was trained on single texts, and ${pairs} of ${examples.length} input(s) carry a second text (textB), which it cannot read as a pair: give single texts (no --text-b-column / textB), or use a run trained on text pairs`,
          { details: { pairs, inputs: examples.length } },
        );
      }
    }
    return encodeExamples(this.backbone.tokenizer, examples, this.maxTokens, this.encoding.template, this.encoding.pairs);
  }

  /** Pads rows of an encoded set, both towers of a two-tower pair. Call inside tf.tidy. */
  pad(set: EncodedSet, rows: readonly number[]): PaddedBatch {
    const padId = this.backbone.tokenizer.padId;
    const a = padBatch(set, rows, padId);
    const second = secondTower(set);
    if (!second) return a;
    const b = padBatch(second, rows, padId);
    return { ...a, idsB: b.ids, maskB: b.mask };
  }

  /** The encoder input of one tower of a batch with the method's injection. Call inside tf.tidy. */
  encoderInput(tower: { ids: tf.Tensor2D; mask: tf.Tensor2D; soft?: tf.Tensor2D; typeIds?: tf.Tensor2D }, injection: Injection): EncoderInput {
    const { ids, mask, typeIds } = tower;
    return { ids, mask, ...(typeIds ? { typeIds } : {}), ...injection.input(tower) };
  }

  /** Sentence embedding of one tower: [b, hidden]. Call inside tf.tidy (or tf.variableGrads). */
  embed(tower: { ids: tf.Tensor2D; mask: tf.Tensor2D; soft?: tf.Tensor2D; typeIds?: tf.Tensor2D }, injection: Injection): tf.Tensor2D {
    return injection.encoder.forward(this.encoderInput(tower, injection)).embedding; // [b, hidden]
  }

  /**
   * What the head reads: the sentence embedding [b, hidden], or for two-tower pairs
   * [u, v, |u − v|, u·v] [b, 4·hidden]. Call inside tf.tidy (or tf.variableGrads).
   */
  features(batch: PaddedBatch, injection: Injection): tf.Tensor2D {
    const u = this.embed(batch, injection); // [b, hidden]
    if (!batch.idsB || !batch.maskB) return u;
    return pairFeatures(u, this.embed({ ids: batch.idsB, mask: batch.maskB }, injection)); // [b, 4·hidden]
  }

  /** Logits [b, C] of a batch. Call inside tf.tidy (or tf.variableGrads). */
  logits(batch: PaddedBatch, injection: Injection): tf.Tensor2D {
    return this.head.apply(this.features(batch, injection)); // [b, C]
  }

  /**
   * Sentence embeddings of one tower of a whole set ([N, hidden] in the set's order), batched by
   * length. Batches run on the backbone's inference engine (ONNX Runtime) when one is given and
   * takes them — the frozen encoder's inputs — and on the encoder otherwise. The caller owns the result.
   */
  async embedSet(set: EncodedSet, injection: Injection, batchSize: number, engine?: InferenceEngine, onRows?: (done: number) => void): Promise<tf.Tensor2D> {
    const parts: tf.Tensor2D[] = [];
    const order: number[] = [];
    const fast = engine && injection.encoder === this.backbone.encoder ? engine : undefined;
    try {
      for (const rows of orderedBatches(set.ids.map((r) => r.length), batchSize)) {
        const batch = padBatch(set, rows, this.backbone.tokenizer.padId);
        try {
          const mark = fast ? tensorMark() : 0;
          const input = fast ? (tf.tidy(() => this.encoderInput(batch, injection) as unknown as tf.TensorContainerObject) as unknown as EncoderInput) : undefined;
          if (fast && input && fast.accepts(input)) {
            const out = await fast.forward(input);
            out.pooled.dispose();
            parts.push(out.embedding); // [b, hidden]
          } else {
            parts.push(tf.tidy(() => this.embed(batch, injection))); // [b, hidden]
          }
          if (input) disposeCreated(input, mark);
        } finally {
          tf.dispose([batch.ids, batch.mask, ...(batch.soft ? [batch.soft] : []), ...(batch.typeIds ? [batch.typeIds] : [])]);
        }
        order.push(...rows);
        onRows?.(order.length);
      }
    } catch (err) {
      tf.dispose(parts);
      throw err;
    }
    return tf.tidy(() => {
      const sorted = tf.concat(parts, 0); // [N, hidden] in batch order
      const inverse = new Int32Array(order.length);
      order.forEach((row, i) => (inverse[row] = i));
      tf.dispose(parts);
      return tf.gather(sorted, tf.tensor1d(inverse, 'int32')) as tf.Tensor2D;
    });
  }

  /**
   * The features of every example of a set, [N, F] in the set's order (each tower batched by its
   * own lengths), with the inference injection unless one is given. Forward passes of the frozen
   * encoder run on the backbone's inference engine when it has one (`fast: false`: never).
   * `onRows(done, total)` follows the forward passes (a pair set's two towers count twice). The
   * caller owns the result.
   */
  async setFeatures(set: EncodedSet, batchSize: number, options: { injection?: Injection; fast?: boolean; onRows?: (done: number, total: number) => void } = {}): Promise<tf.Tensor2D> {
    const own = options.injection ?? this.method.inference();
    const engine = options.fast === false ? undefined : await this.backbone.inference?.();
    try {
      const second = secondTower(set);
      const n = set.ids.length;
      const total = second ? 2 * n : n;
      const report = options.onRows;
      report?.(0, total);
      const u = await this.embedSet(set, own, batchSize, engine, report && ((done) => report(done, total))); // [N, hidden]
      if (!second) return u;
      let v: tf.Tensor2D | undefined;
      try {
        v = await this.embedSet(second, own, batchSize, engine, report && ((done) => report(n + done, total))); // [N, hidden]
        return pairFeatures(u, v); // [N, 4·hidden]
      } finally {
        tf.dispose([u, ...(v ? [v] : [])]);
      }
    } finally {
      if (!options.injection) own.dispose();
    }
  }

  /** Logits of every example of a set: [N, C]; the caller owns them. */
  async setLogits(set: EncodedSet, batchSize: number, options: { fast?: boolean } = {}): Promise<tf.Tensor2D> {
    const features = await this.setFeatures(set, batchSize, options);
    try {
      this.#checkWidth(features.shape[1]);
      return tf.tidy(() => this.head.apply(features));
    } finally {
      features.dispose();
    }
  }

  #checkWidth(width: number): void {
    if (width !== this.head.inputs) {
      throw new PandaError('SHAPE_MISMATCH', `the head reads ${this.head.inputs} features, the inputs give ${width} (pair encoding ${this.encoding.pairs}: is the input a pair when the run was trained on single texts, or the other way round?)`);
    }
  }

  dispose(): void {
    this.method.dispose();
    this.head.dispose();
  }
}

/**
 * Sentence-BERT's pair features of two embeddings: [u, v, |u − v|, u·v].
 * @param u [B, H]; v [B, H]
 * @returns [B, 4H]; the caller owns it (or call inside tf.tidy).
 */
export function pairFeatures(u: tf.Tensor2D, v: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.concat([u, v, tf.abs(tf.sub(u, v)), tf.mul(u, v)], 1) as tf.Tensor2D); // [B, 4H]
}

/** The id the next tensor will exceed: tensors made after this call have larger ids. */
function tensorMark(): number {
  const probe = tf.scalar(0);
  const id = probe.id;
  probe.dispose();
  return id;
}

/**
 * Frees what `encoderInput` made for one batch after `mark` (an injection may build a table per
 * batch); the batch's own tensors and the method's parameters are older and stay.
 */
function disposeCreated(input: EncoderInput, mark: number): void {
  const fields = [input.prompt, input.prefix, input.prefixMask, input.soft?.rows, input.soft?.index];
  tf.dispose(fields.filter((t): t is NonNullable<typeof t> => t !== undefined && t.id > mark && !(t instanceof tf.Variable)));
}
