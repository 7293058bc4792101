import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@panda/core';
import type { TuneConfig } from '../config.js';
import type { EncodedSet } from '../data/batches.js';
import type { DistillConfig } from '../distill/config.js';
import { kdLoss } from '../distill/kdLoss.js';
import { betaAt } from '../distill/betaSchedule.js';
import type { Teacher } from '../distill/teacher.js';
import type { Objective } from '../eval/evaluate.js';
import type { AdaptedModel, PaddedBatch } from '../model/adaptedModel.js';
import { clipByGlobalNorm, type AdamW, type NamedParam } from '../optim/adamW.js';
import { accumulateGradients } from './accumulate.js';
import { crossEntropy, meanSquaredError } from './loss.js';

/** What a training step reads; fixed for the whole run. */
export interface StepContext {
  model: AdaptedModel;
  config: TuneConfig;
  objective: Objective;
  train: EncodedSet;
  params: readonly NamedParam[];
  optimizer: AdamW;
  /** Frozen features of every training example [N, F] (methods whose features never change). */
  cachedFeatures?: tf.Tensor2D;
  teachers: readonly Teacher[];
  /** Deterministic teachers' logits for every training example, one [N, C] per teacher. */
  teacherCache: readonly tf.Tensor2D[];
  distill?: DistillConfig;
  /** Dropout seeds come from (this stream, step, example index): the same masks for any split into micro-batches and after a resume. */
  dropoutRng: Rng;
}

/**
 * One optimiser step on the batch `rows`: gradients of the batch-mean loss, summed over
 * `gradAccumulation` micro-batches (each weighted by its share of the batch), clipped, applied.
 * @param step optimiser steps taken before this one
 * @returns the batch's mean loss.
 */
export function trainStep(ctx: StepContext, rows: number[], step: number, lrScale: number): number {
  const { value: loss, grads: sum } = accumulateGradients(rows, ctx.config.gradAccumulation, (part, weight) => microGrads(ctx, part, weight, step));
  const { grads: clipped, norm } = clipByGlobalNorm(sum, ctx.config.maxGradNorm);
  ctx.optimizer.apply(clipped, lrScale);
  const value = loss.dataSync()[0]!;
  tf.dispose([loss, norm, ...Object.values(sum), ...Object.values(clipped)]);
  return value;
}

/** Gradients (by parameter key) of weight · mean loss over `rows`: forward → loss → backward. Call inside tf.tidy. */
function microGrads(ctx: StepContext, rows: number[], weight: number, step: number): { value: tf.Scalar; grads: Record<string, tf.Tensor> } {
  const { model, config, train, distill, teachers } = ctx;
  const regression = ctx.objective === 'regression';
  const labels = tf.tensor1d(rows.map((r) => train.labels[r]!), regression ? 'float32' : 'int32'); // [b]
  let padded: PaddedBatch | undefined;
  /** This micro-batch padded once, shared by the student's and the teachers' forward passes. */
  const batch = () => (padded ??= model.pad(train, rows));
  let features: () => tf.Tensor2D; // [b, F]
  if (ctx.cachedFeatures) {
    const cached = ctx.cachedFeatures;
    const idx = tf.tensor1d(rows, 'int32');
    features = () => tf.gather(cached, idx) as tf.Tensor2D;
  } else {
    // One dropout seed per example, from (run seed, step, example index); both towers of a pair share it.
    const seeds = model.method.dropout > 0 ? rows.map((r) => ctx.dropoutRng.fork(`${step}/${r}`).int32()) : [];
    const injection = model.method.training(seeds);
    // Padded here, outside the gradient's scope: tensors made inside it are freed before the
    // backward pass, and some kernels' gradients keep the ids.
    const padded = batch();
    features = () => model.features(padded, injection);
  }
  // Distillation targets: constants for this step, computed outside the gradient. [b, C] each
  let targets: tf.Tensor2D[] = [];
  if (teachers.length) {
    if (ctx.teacherCache.length) {
      const idx = tf.tensor1d(rows, 'int32');
      targets = ctx.teacherCache.map((c) => tf.gather(c, idx) as tf.Tensor2D);
    } else {
      targets = teachers.map((t) => t.logits(batch(), t.dropout > 0 ? rows.map((r) => ctx.dropoutRng.fork(`teacher/${t.name}/${step}/${r}`).int32()) : []));
    }
  }
  const fullBatch = Math.round(rows.length / weight);
  const epochProgress = step / Math.max(1, Math.ceil(train.ids.length / config.batchSize));
  const loss = (): tf.Scalar => {
    const logits = model.head.apply(features()); // [b, C]
    let total = regression ? meanSquaredError(logits, labels) : crossEntropy(logits, labels); // []
    if (distill && teachers.length) {
      const terms = teachers.map((t, j) => tf.mul(kdLoss(logits, targets[j]!, distill.kdNorm, fullBatch), betaAt(distill.betaSchedule, t.beta, epochProgress, config.epochs)));
      total = tf.add(total, tf.mul(tf.div(tf.addN(terms), teachers.length), distill.lambda)) as tf.Scalar;
    }
    return tf.mul(total, weight) as tf.Scalar;
  };
  const byName = new Map(ctx.params.map((p) => [p.variable.name, p.key]));
  const { value, grads } = tf.variableGrads(loss, ctx.params.map((p) => p.variable));
  const keyed: Record<string, tf.Tensor> = {};
  for (const [name, g] of Object.entries(grads)) keyed[byName.get(name)!] = g;
  return { value, grads: keyed };
}
