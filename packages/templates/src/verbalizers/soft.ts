import { PandaError } from '@panda/core';
import { argmax } from './similarity.js';

export interface SoftVerbalizerFitOptions {
  /** Full-batch gradient steps (default 100). */
  steps?: number;
  /** Step size (default 0.5). */
  lr?: number;
  /** Pull towards the initial class vectors: λ/2·Σ‖w_c − w_c⁰‖² (default 0.01). */
  l2ToInit?: number;
}

function normalized(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n) || 1;
  return v.map((x) => x / n);
}

/**
 * A soft verbalizer: one trainable vector per class in the encoder's output space, initialised from
 * the embeddings of the class's label words (its rendered label views), so before any training it
 * scores exactly as similarity to the label words does (WARP's and OpenPrompt's `SoftVerbalizer`,
 * for a sentence encoder). Logits are `scale · q̂ · w_c + b_c` for a unit-length query q̂.
 *
 * {@link fit} trains the vectors and biases on a few labelled query embeddings (softmax cross-entropy,
 * full-batch gradient descent in plain JS, pulled towards the initial vectors), which is the "short
 * tuning budget" automatic template search can score candidates with. {@link toHead} exports a
 * linear head [dim, C] for the tuner.
 */
export class SoftVerbalizer {
  readonly labels: readonly string[];
  /** [C][dim] class vectors (trainable). */
  readonly rows: Float32Array[];
  /** [C] biases (trainable). */
  readonly bias: Float64Array;
  readonly scale: number;
  readonly #init: Float32Array[];

  constructor(labels: readonly string[], classVectors: readonly Float32Array[], scale = 20) {
    if (classVectors.length !== labels.length || labels.length < 2) {
      throw new PandaError('VERBALIZER_INVALID', `soft verbalizer: ${classVectors.length} class vectors for ${labels.length} labels`);
    }
    const dim = classVectors[0]!.length;
    if (classVectors.some((v) => v.length !== dim)) throw new PandaError('SHAPE_MISMATCH', 'soft verbalizer: class vectors differ in width');
    this.labels = [...labels];
    this.rows = classVectors.map(normalized);
    this.#init = this.rows.map((r) => r.slice());
    this.bias = new Float64Array(labels.length);
    this.scale = scale;
  }

  /** Class vectors as the mean of each class's word embeddings: words[C][W] → [C][dim]. */
  static fromWordEmbeddings(labels: readonly string[], words: ReadonlyArray<readonly Float32Array[]>, scale?: number): SoftVerbalizer {
    const means = words.map((list) => {
      const out = new Float32Array(list[0]!.length);
      for (const v of list) {
        const u = normalized(v);
        for (let i = 0; i < out.length; i++) out[i]! += u[i]! / list.length;
      }
      return out;
    });
    return new SoftVerbalizer(labels, means, scale);
  }

  get dim(): number {
    return this.rows[0]!.length;
  }

  /** [C] logits of one query embedding. */
  logits(query: Float32Array): number[] {
    const q = normalized(query);
    return this.rows.map((w, c) => {
      let dot = 0;
      for (let i = 0; i < q.length; i++) dot += q[i]! * w[i]!;
      return this.scale * dot + this.bias[c]!;
    });
  }

  predict(queries: readonly Float32Array[]): number[] {
    return queries.map((q) => argmax(this.logits(q)));
  }

  /**
   * Trains on labelled query embeddings; returns the mean cross-entropy before and after.
   * Deterministic (full batch, no sampling).
   */
  fit(queries: readonly Float32Array[], labels: readonly number[], options: SoftVerbalizerFitOptions = {}): { lossBefore: number; lossAfter: number } {
    if (queries.length !== labels.length || queries.length === 0) throw new PandaError('SHAPE_MISMATCH', `soft verbalizer fit: ${queries.length} queries, ${labels.length} labels`);
    const steps = options.steps ?? 100;
    const lr = options.lr ?? 0.5;
    const l2 = options.l2ToInit ?? 0.01;
    const qs = queries.map(normalized);
    const C = this.rows.length;
    const loss = (): number => {
      let total = 0;
      qs.forEach((q, n) => {
        const z = this.logits(q);
        const m = Math.max(...z);
        const lse = m + Math.log(z.reduce((a, v) => a + Math.exp(v - m), 0));
        total += lse - z[labels[n]!]!;
      });
      return total / qs.length;
    };
    const lossBefore = loss();
    for (let s = 0; s < steps; s++) {
      const gW = this.rows.map((r) => new Float64Array(r.length));
      const gB = new Float64Array(C);
      qs.forEach((q, n) => {
        const z = this.logits(q);
        const m = Math.max(...z);
        const e = z.map((v) => Math.exp(v - m));
        const sum = e.reduce((a, b) => a + b, 0);
        for (let c = 0; c < C; c++) {
          const g = e[c]! / sum - (labels[n] === c ? 1 : 0); // dL/dz_c
          gB[c]! += g / qs.length;
          const gc = gW[c]!;
          for (let i = 0; i < q.length; i++) gc[i]! += (this.scale * g * q[i]!) / qs.length;
        }
      });
      for (let c = 0; c < C; c++) {
        const w = this.rows[c]!;
        const w0 = this.#init[c]!;
        for (let i = 0; i < w.length; i++) w[i]! -= lr * (gW[c]![i]! + l2 * (w[i]! - w0[i]!));
        this.bias[c]! -= lr * gB[c]!;
      }
    }
    return { lossBefore, lossAfter: loss() };
  }

  /**
   * The verbalizer as a linear head on unit-length embeddings: kernel [dim, C] (row-major) and bias [C],
   * so `logits = normalize(e) · kernel + bias`.
   */
  toHead(): { kernel: Float32Array; bias: Float32Array; shape: [number, number] } {
    const C = this.rows.length;
    const kernel = new Float32Array(this.dim * C);
    this.rows.forEach((w, c) => w.forEach((v, i) => (kernel[i * C + c] = this.scale * v)));
    return { kernel, bias: Float32Array.from(this.bias), shape: [this.dim, C] };
  }
}
