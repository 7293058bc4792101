import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@panda/core';
import type { TrainingEngine } from '@panda/backbones';
import type { TuneConfig } from '../config.js';
import type { EncodedSet } from '../data/batches.js';
import type { DistillConfig } from '../distill/config.js';
import type { Teacher } from '../distill/teacher.js';
import type { Objective } from '../eval/evaluate.js';
import type { AdaptedModel, PaddedBatch } from '../model/adaptedModel.js';
import { clipByGlobalNorm, type AdamW, type NamedParam } from '../optim/adamW.js';
import { accumulateGradients } from './accumulate.js';
import { engineGrads } from './engineStep.js';
import { dropoutSeeds, keyedGrads, microBatchLoss } from './microBatch.js';

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
  /** The backbone's training engine (ONNX Runtime): micro-batches whose encoder inputs it takes train there. */
  engine?: TrainingEngine;
}

/**
 * One optimiser step on the batch `rows`: gradients of the batch-mean loss, summed over
 * `gradAccumulation` micro-batches (each weighted by its share of the batch), clipped, applied.
 * A micro-batch runs on the backbone's training engine (`ctx.engine`) when it takes the batch's
 * encoder inputs, and on TensorFlow.js autodiff otherwise.
 * @param step optimiser steps taken before this one
 * @returns the batch's mean loss.
 */
export async function trainStep(ctx: StepContext, rows: number[], step: number, lrScale: number): Promise<number> {
  const { value: loss, grads: sum } = await accumulateGradients(rows, ctx.config.gradAccumulation, async (part, weight) => (ctx.engine && (await engineGrads(ctx, ctx.engine, part, weight, step))) || tf.tidy(() => microGrads(ctx, part, weight, step)));
  const { grads: clipped, norm } = clipByGlobalNorm(sum, ctx.config.maxGradNorm);
  ctx.optimizer.apply(clipped, lrScale);
  const value = loss.dataSync()[0]!;
  tf.dispose([loss, norm, ...Object.values(sum), ...Object.values(clipped)]);
  return value;
}

/** Gradients (by parameter key) of weight · mean loss over `rows` by TensorFlow.js autodiff: forward → loss → backward. Call inside tf.tidy. */
function microGrads(ctx: StepContext, rows: number[], weight: number, step: number): { value: tf.Scalar; grads: Record<string, tf.Tensor> } {
  const { model, train } = ctx;
  let padded: PaddedBatch | undefined;
  /** This micro-batch padded once, shared by the student's and the teachers' forward passes. */
  const batch = () => (padded ??= model.pad(train, rows));
  let features: () => tf.Tensor2D; // [b, F]
  if (ctx.cachedFeatures) {
    const cached = ctx.cachedFeatures;
    const idx = tf.tensor1d(rows, 'int32');
    features = () => tf.gather(cached, idx) as tf.Tensor2D;
  } else {
    const injection = model.method.training(dropoutSeeds(ctx, rows, step));
    // Padded here, outside the gradient's scope: tensors made inside it are freed before the
    // backward pass, and some kernels' gradients keep the ids.
    const padded = batch();
    features = () => model.features(padded, injection);
  }
  const lossOf = microBatchLoss(ctx, rows, weight, step, batch);
  const { value, grads } = tf.variableGrads(() => lossOf(model.head.apply(features())), ctx.params.map((p) => p.variable));
  return { value, grads: keyedGrads(ctx, grads) };
}
