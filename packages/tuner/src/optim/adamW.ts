import * as tf from '@tensorflow/tfjs-core';
import { PandaError } from '@panda/core';

/** A trainable tensor with a stable key (used in checkpoints; tfjs variable names are per process). */
export interface NamedParam {
  key: string;
  variable: tf.Variable;
}

/** One group of parameters sharing a learning rate and weight decay. */
export interface ParamGroup {
  params: NamedParam[];
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
 * (for schedules); the same update as torch.optim.AdamW. Its moments can be saved and restored
 * (`state()` / `load()`), so a resumed run continues exactly.
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
      for (const { key, variable } of g.params) {
        if (this.#m.has(key)) throw new PandaError('CONFIG_INVALID', `parameter key '${key}' appears twice in the optimiser`);
        // Variables survive tf.tidy; the zero tensors they start from do not.
        this.#m.set(key, tf.tidy(() => tf.variable(tf.zerosLike(variable), false)));
        this.#v.set(key, tf.tidy(() => tf.variable(tf.zerosLike(variable), false)));
      }
    }
  }

  /** Every parameter, in group order. */
  params(): NamedParam[] {
    return this.groups.flatMap((g) => g.params);
  }

  /**
   * Applies one update. `grads` maps parameter keys to gradients; they stay owned by the caller.
   * `lrScale` multiplies every group's learning rate this step.
   */
  apply(grads: Record<string, tf.Tensor>, lrScale = 1): void {
    this.step += 1;
    const bc1 = 1 - this.beta1 ** this.step;
    const bc2 = 1 - this.beta2 ** this.step;
    for (const g of this.groups) {
      const lr = g.lr * lrScale;
      for (const { key, variable: p } of g.params) {
        const grad = grads[key];
        if (!grad) continue;
        const m = this.#m.get(key)!;
        const v = this.#v.get(key)!;
        // One tidy per parameter: only one parameter's temporaries are alive at a time (model
        // tuning updates ~7M values; a single tidy held all their temporaries at once).
        tf.tidy(() => {
          m.assign(tf.add(tf.mul(m, this.beta1), tf.mul(grad, 1 - this.beta1)));
          v.assign(tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(grad), 1 - this.beta2)));
          const update = tf.div(tf.div(m, bc1), tf.add(tf.sqrt(tf.div(v, bc2)), this.epsilon));
          const decayed = g.weightDecay > 0 ? tf.mul(p, 1 - lr * g.weightDecay) : p;
          p.assign(tf.sub(decayed, tf.mul(update, lr)));
        });
      }
    }
  }

  /** Moment tensors by key (`<key>/m`, `<key>/v`). Owned by the optimiser: do not dispose. */
  state(): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    for (const [key, m] of this.#m) out[`${key}/m`] = m;
    for (const [key, v] of this.#v) out[`${key}/v`] = v;
    return out;
  }

  /** Restores moments and the step count saved by `state()`; shapes must match. */
  load(state: Record<string, tf.Tensor>, step: number): void {
    for (const [suffix, map] of [['m', this.#m], ['v', this.#v]] as const) {
      for (const [key, variable] of map) {
        const t = state[`${key}/${suffix}`];
        if (!t || t.shape.join() !== variable.shape.join()) {
          throw new PandaError('CHECKPOINT_INVALID', `optimiser state '${key}/${suffix}' is ${t ? `[${t.shape}]` : 'missing'}, expected [${variable.shape}]`);
        }
        variable.assign(t);
      }
    }
    this.step = step;
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
