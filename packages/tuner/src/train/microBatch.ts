import * as tf from '@tensorflow/tfjs-core';
import { kdLoss } from '../distill/kdLoss.js';
import { betaAt } from '../distill/betaSchedule.js';
import type { PaddedBatch } from '../model/adaptedModel.js';
import { crossEntropy, meanSquaredError } from './loss.js';
import type { StepContext } from './step.js';

// What both ways of computing a micro-batch's gradients share (autodiff in step.ts, the training
// engine in engineStep.ts): its dropout seeds, its loss, and the keys of its gradients.

/** One dropout seed per example, from (run seed, step, example index); both towers of a pair share it. */
export function dropoutSeeds(ctx: StepContext, rows: readonly number[], step: number): number[] {
  return ctx.model.method.dropout > 0 ? rows.map((r) => ctx.dropoutRng.fork(`${step}/${r}`).int32()) : [];
}

/**
 * The loss of a micro-batch as a function of its logits, and the constants it reads (labels,
 * distillation targets) made now, outside any gradient. Call inside tf.tidy.
 * @param batch the micro-batch padded (once), for teachers without cached logits
 */
export function microBatchLoss(ctx: StepContext, rows: readonly number[], weight: number, step: number, batch: () => PaddedBatch): (logits: tf.Tensor2D) => tf.Scalar {
  const { config, train, distill, teachers } = ctx;
  const regression = ctx.objective === 'regression';
  const labels = tf.tensor1d(rows.map((r) => train.labels[r]!), regression ? 'float32' : 'int32'); // [b]
  // Distillation targets: constants for this step, computed outside the gradient. [b, C] each
  let targets: tf.Tensor2D[] = [];
  if (teachers.length) {
    if (ctx.teacherCache.length) {
      const idx = tf.tensor1d([...rows], 'int32');
      targets = ctx.teacherCache.map((c) => tf.gather(c, idx) as tf.Tensor2D);
    } else {
      targets = teachers.map((t) => t.logits(batch(), t.dropout > 0 ? rows.map((r) => ctx.dropoutRng.fork(`teacher/${t.name}/${step}/${r}`).int32()) : []));
    }
  }
  const fullBatch = Math.round(rows.length / weight);
  const epochProgress = step / Math.max(1, Math.ceil(train.ids.length / config.batchSize));
  return (logits) => {
    let total = regression ? meanSquaredError(logits, labels) : crossEntropy(logits, labels); // []
    if (distill && teachers.length) {
      const terms = teachers.map((t, j) => tf.mul(kdLoss(logits, targets[j]!, distill.kdNorm, fullBatch), betaAt(distill.betaSchedule, t.beta, epochProgress, config.epochs)));
      total = tf.add(total, tf.mul(tf.div(tf.addN(terms), teachers.length), distill.lambda)) as tf.Scalar;
    }
    return tf.mul(total, weight) as tf.Scalar;
  };
}

/** Gradients by parameter key of `variableGrads`' result (names → the params' keys). */
export function keyedGrads(ctx: StepContext, grads: Record<string, tf.Tensor>): Record<string, tf.Tensor> {
  const byName = new Map(ctx.params.map((p) => [p.variable.name, p.key]));
  const keyed: Record<string, tf.Tensor> = {};
  for (const [name, g] of Object.entries(grads)) {
    const key = byName.get(name);
    if (key) keyed[key] = g;
  }
  return keyed;
}

