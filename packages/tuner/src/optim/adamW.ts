import * as tf from '@tensorflow/tfjs-core';

/** One group of parameters sharing a learning rate and weight decay. */
export interface ParamGroup {
  params: tf.Variable[];
  lr: number;
  /** Decoupled weight decay (Loshchilov & Hutter): p ← p − lr·wd·p, applied beside the Adam step. */
  weightDecay: number;
}

export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/**
 * AdamW with per-group learning rates, bias correction, and a learning-rate multiplier per step
 * (for schedules). Same update as torch.optim.AdamW. Its moment tensors are named so they can be
 * checkpointed (`state()`).
 */
export class AdamW {
  readonly groups: ParamGroup[];
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  step = 0;
  readonly #m = new Map<string, tf.Variable>();
  readonly #v = new Map<string, tf.Variable>();

  constructor(groups: ParamGroup[], options: AdamWOptions = {}) {
    this.groups = groups;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    for (const g of groups) {
      for (const p of g.params) {
        // Variables survive tf.tidy; the zero tensors they start from do not.
        this.#m.set(p.name, tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
        this.#v.set(p.name, tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
      }
    }
  }

  /**
   * Applies one update. `grads` maps variable names to gradients (as `tf.variableGrads` returns);
   * they stay owned by the caller. `lrScale` multiplies every group's learning rate this step.
   */
  apply(grads: Record<string, tf.Tensor>, lrScale = 1): void {
    this.step += 1;
    const bc1 = 1 - this.beta1 ** this.step;
    const bc2 = 1 - this.beta2 ** this.step;
    tf.tidy(() => {
      for (const g of this.groups) {
        const lr = g.lr * lrScale;
        for (const p of g.params) {
          const grad = grads[p.name];
          if (!grad) continue;
          const m = this.#m.get(p.name)!;
          const v = this.#v.get(p.name)!;
          m.assign(tf.add(tf.mul(m, this.beta1), tf.mul(grad, 1 - this.beta1)));
          v.assign(tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(grad), 1 - this.beta2)));
          const update = tf.div(tf.div(m, bc1), tf.add(tf.sqrt(tf.div(v, bc2)), this.epsilon));
          const decayed = g.weightDecay > 0 ? tf.mul(p, 1 - lr * g.weightDecay) : p;
          p.assign(tf.sub(decayed, tf.mul(update, lr)));
        }
      }
    });
  }

  /** Moment tensors by name (`<param>/m`, `<param>/v`), for checkpoints. Owned by the optimiser. */
  state(): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    for (const [name, m] of this.#m) out[`${name}/m`] = m;
    for (const [name, v] of this.#v) out[`${name}/v`] = v;
    return out;
  }

  dispose(): void {
    for (const t of [...this.#m.values(), ...this.#v.values()]) t.dispose();
    this.#m.clear();
    this.#v.clear();
  }
}

/**
 * Scales gradients so their global L2 norm is at most `maxNorm` (torch.nn.utils.clip_grad_norm_).
 * @returns new gradient tensors (the caller owns them) and the norm before clipping.
 */
export function clipByGlobalNorm(grads: Record<string, tf.Tensor>, maxNorm: number): { grads: Record<string, tf.Tensor>; norm: tf.Scalar } {
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))) as tf.Scalar;
    const scale = tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1);
    const out: Record<string, tf.Tensor> = {};
    for (const [k, g] of Object.entries(grads)) out[k] = tf.mul(g, scale);
    return { grads: out, norm };
  });
}

/** Linear decay from 1 to 0 over `total` steps after `warmup` steps of linear warm-up. */
export function linearSchedule(step: number, total: number, warmup = 0): number {
  if (step < warmup) return (step + 1) / warmup;
  return Math.max(0, (total - step) / Math.max(1, total - warmup));
}
