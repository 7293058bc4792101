import * as tf from '@tensorflow/tfjs-core';
import { PandaError, type ProgressListener, type Rng } from '@panda/core';
import { epochBatches } from '../data/batches.js';
import { scheduleValue } from '../optim/schedules.js';
import { trainStep, type StepContext } from './step.js';
import type { EvalPoint, TrainState } from './state.js';
import { isBetter } from '../eval/selection.js';

/** The loop's hooks into the run: how to score dev, and where to save a checkpoint. */
export interface LoopHooks {
  /**
   * Scores the current parameters in the selection metric: `score` is what selection and early
   * stopping read (the validation set's when the run carved one, else dev's), `accuracy` its
   * accuracy (classification), `dev` the dev score beside a validation score.
   */
  selectionScore(): Promise<{ score: number; accuracy?: number; dev?: number }>;
  /** False when a lower dev score is better (a loss-like metric); default true. */
  higherIsBetter?: boolean;
  /** Saves the state (when the run has a checkpoint folder); the loop continues at the given batch. */
  checkpoint(at: { epoch: number; batchInEpoch: number }): Promise<void>;
  /** Save every N steps (and at every epoch end); undefined: only at epoch ends. */
  checkpointEvery?: number;
  signal?: AbortSignal;
  onProgress: ProgressListener;
}

/**
 * The training loop, top to bottom: for each epoch, the seeded batch order; for each batch, one
 * optimiser step (forward → loss → backward → step, in {@link trainStep}); evaluate on dev at each
 * epoch end (or every `evalEverySteps`), keep the best weights, stop early after
 * `earlyStoppingPatience` evaluations without improvement; checkpoint as asked.
 *
 * A step whose loss is not finite stops the run with `NON_FINITE_LOSS` before anything of it is
 * kept; before every evaluation and checkpoint the parameters are checked to be finite (a step can
 * give a finite loss and leave inf weights), so the best weights and the checkpoint on disk are
 * always the last finite ones.
 * @returns true when training ended before the last epoch (early stopping or the abort signal).
 * @throws PandaError `NON_FINITE_LOSS` naming the step.
 */
export async function trainLoop(ctx: StepContext, state: TrainState, rng: Rng, hooks: LoopHooks): Promise<boolean> {
  const { config } = ctx;
  const totalSteps = Math.ceil(ctx.train.ids.length / config.batchSize) * config.epochs;
  const resumedFrom = state.step;
  const lengths = ctx.train.ids.map((r) => r.length);
  const { start } = state;
  // A run resumed from the checkpoint written when early stopping ended it is over.
  if (state.step > 0 && config.earlyStoppingPatience > 0 && state.evalsWithoutImprovement >= config.earlyStoppingPatience) return true;
  const save = async (at: { epoch: number; batchInEpoch: number }) => {
    assertFiniteParams(ctx, state.step);
    await hooks.checkpoint(at);
  };
  const evaluated = (epoch: number) => {
    assertFiniteParams(ctx, state.step);
    return evaluate(ctx, state, epoch, hooks);
  };
  for (let epoch = start.epoch; epoch <= config.epochs; epoch++) {
    const batches = epochBatches(lengths, config.batchSize, rng.fork(`epoch-${epoch}`), config.bucket);
    for (let b = epoch === start.epoch ? start.batch : 0; b < batches.length; b++) {
      if (hooks.signal?.aborted) return true;
      const t0 = performance.now();
      const loss = await trainStep(ctx, batches[b]!, state.step, scheduleValue(config.schedule, state.step, totalSteps, config.warmupSteps));
      state.trainMs += performance.now() - t0;
      if (!Number.isFinite(loss)) {
        throw new PandaError('NON_FINITE_LOSS', `training stopped at step ${state.step + 1} of ${totalSteps}: the loss is ${loss} (a learning rate too large, or bad inputs); nothing of this step is kept`, { details: { step: state.step + 1, loss: String(loss) } });
      }
      state.step++;
      state.lossSum += loss;
      state.lossCount++;
      hooks.onProgress({ type: 'step', phase: 'train', step: state.step, total: totalSteps, loss, stepsPerSecond: (state.step - resumedFrom) / (state.trainMs / 1000) });
      if (config.evalEverySteps && state.step % config.evalEverySteps === 0 && (await evaluated(epoch))) {
        await save({ epoch, batchInEpoch: b + 1 });
        return true;
      }
      if (hooks.checkpointEvery && state.step % hooks.checkpointEvery === 0) await save({ epoch, batchInEpoch: b + 1 });
    }
    if (!config.evalEverySteps && (await evaluated(epoch))) {
      await save({ epoch: epoch + 1, batchInEpoch: 0 });
      return epoch < config.epochs;
    }
    await save({ epoch: epoch + 1, batchInEpoch: 0 });
  }
  return false;
}

/**
 * Scores dev, records the point, keeps a copy of the parameters when the score improved.
 * @returns true when early stopping says to stop.
 */
export async function evaluate(ctx: StepContext, state: TrainState, epoch: number, hooks: Pick<LoopHooks, 'selectionScore' | 'onProgress' | 'higherIsBetter'>): Promise<boolean> {
  const { score, accuracy, dev } = await hooks.selectionScore();
  const trainLoss = state.lossCount ? state.lossSum / state.lossCount : null;
  // With a validation split, `score` is the validation set's and dev is scored beside it.
  const point: EvalPoint = dev === undefined ? { step: state.step, epoch, devScore: score, trainLoss } : { step: state.step, epoch, devScore: dev, validationScore: score, trainLoss };
  state.history.push(point);
  state.lossSum = 0;
  state.lossCount = 0;
  const scores = dev === undefined ? { devScore: score, ...(accuracy !== undefined ? { devAccuracy: accuracy } : {}) } : { devScore: dev, validationScore: score, ...(accuracy !== undefined ? { validationAccuracy: accuracy } : {}) };
  hooks.onProgress({ type: 'eval', phase: 'train', epoch, metrics: { ...scores, trainLoss: trainLoss ?? Number.NaN, step: state.step } });
  const best = state.best;
  // An undefined score (a correlation of constant predictions) never counts as an improvement.
  if (!best || isBetter(score, best.acc, { higherIsBetter: hooks.higherIsBetter ?? true })) {
    if (best) tf.dispose(best.weights);
    state.best = { acc: score, step: state.step, weights: Object.fromEntries(ctx.params.map((p) => [p.key, tf.clone(p.variable)])) };
    state.evalsWithoutImprovement = 0;
    return false;
  }
  state.evalsWithoutImprovement++;
  return ctx.config.earlyStoppingPatience > 0 && state.evalsWithoutImprovement >= ctx.config.earlyStoppingPatience;
}

/**
 * Throws `NON_FINITE_LOSS` when a trainable parameter holds inf or NaN: 0·x sums to 0 for finite
 * values and to NaN otherwise (no overflow, kernels every backend has).
 */
export function assertFiniteParams(ctx: Pick<StepContext, 'params'>, step: number): void {
  const bad: string[] = [];
  for (const p of ctx.params) {
    const probe = tf.tidy(() => tf.sum(tf.mul(p.variable, 0)));
    const value = probe.dataSync()[0]!;
    probe.dispose();
    if (value !== 0) bad.push(p.key);
  }
  if (bad.length) {
    throw new PandaError('NON_FINITE_LOSS', `training stopped after step ${step}: the weights ${bad.join(', ')} are no longer finite (the run diverged: a learning rate too large?); nothing of this step is kept`, { details: { step, params: bad } });
  }
}
