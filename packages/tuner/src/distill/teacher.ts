import * as tf from '@tensorflow/tfjs-core';
import { PandaError } from '@panda/core';
import type { AdaptedModel, PaddedBatch } from '../model/adaptedModel.js';

/** A padded batch for a teacher: the student's own batch (the same encoding). */
export type TeacherBatch = PaddedBatch;

/**
 * A teacher for distillation: a trained run (prompt or deep prefix, with its head), run on the same
 * frozen encoder as the student. In PANDA the teacher is the source prompt transferred to the target
 * and tuned there (vanilla PoT); its weights never change.
 */
export interface TeacherSpec {
  /**
   * The run's weights: `prompt` [m, embedDim] or `prefix` [m, 2·Σ d_l] (folded table), plus
   * `head/kernel` [F, C] and `head/bias` [C]. The tuner copies them; the caller keeps ownership.
   */
  weights: Record<string, tf.Tensor>;
  /** The pair's predicted transferability mapped to a KD weight (PANDA: β = max(cos, 0)). */
  beta: number;
  /** The teacher run's method (default: `deep-prompt-tuning` when the weights have a prefix, else `prompt-tuning`). */
  method?: string;
  /** The teacher run's `panda_adapter.json` fields (its prefix layout and dropout, ...). */
  adapter?: Record<string, unknown>;
  /** Prefix dropout rate of the teacher's run (deep prompts), applied when teacher dropout is on. */
  prefixDropout?: number;
  /** A name for logs and the run manifest (e.g. the source bank entry). */
  name?: string;
}

/** A loaded teacher: an adapted model of its own (same backbone and encoding as the student) and its β. */
export class Teacher {
  readonly name: string;
  readonly beta: number;
  readonly model: AdaptedModel;

  /** Takes ownership of `model`. */
  constructor(spec: Pick<TeacherSpec, 'beta' | 'name'>, model: AdaptedModel) {
    this.name = spec.name ?? 'teacher';
    if (!(spec.beta >= 0) || !Number.isFinite(spec.beta)) {
      model.dispose();
      throw new PandaError('CONFIG_INVALID', `teacher ${this.name}: β must be a finite number ≥ 0, got ${spec.beta}`);
    }
    this.beta = spec.beta;
    this.model = model;
  }

  /** Training dropout of the teacher (its run's, when teacher dropout is on). */
  get dropout(): number {
    return this.model.method.dropout;
  }

  /** True when the teacher gives the same logits for an example every time (no dropout). */
  get deterministic(): boolean {
    return this.dropout === 0;
  }

  /**
   * @param batch the student's padded batch
   * @param seeds one dropout seed per example (used only when the teacher has dropout)
   * @returns logits [b, C]; the caller owns them (or call inside tf.tidy).
   */
  logits(batch: TeacherBatch, seeds: readonly number[]): tf.Tensor2D {
    return tf.tidy(() => {
      const injection = this.dropout > 0 ? this.model.method.training(seeds) : this.model.method.inference();
      try {
        return this.model.logits(batch, injection); // [b, C]
      } finally {
        injection.dispose();
      }
    });
  }

  dispose(): void {
    this.model.dispose();
  }
}
