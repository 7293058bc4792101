import * as tf from '@tensorflow/tfjs-core';
import { PandaError, type ProgressListener } from '@panda/core';
import { loadCheckpoint, saveCheckpoint } from '../checkpoint/checkpoint.js';
import type { AdamW, NamedParam } from '../optim/adamW.js';

/** One dev evaluation of a run. */
export interface EvalPoint {
  step: number;
  epoch: number;
  /** Dev score of the run's metric (accuracy, or mean(Pearson, Spearman) for regression). */
  devScore: number;
  /** With a validation split carved from train: its score, which selection and early stopping use. */
  validationScore?: number;
  trainLoss: number | null;
}

/** The best dev score so far, the step it was reached at, and copies of the parameters then. */
export interface BestWeights {
  acc: number;
  step: number;
  weights: Record<string, tf.Tensor>;
}

/** Everything that changes while a run trains: what a checkpoint saves and a resume restores. */
export interface TrainState {
  step: number;
  lossSum: number;
  lossCount: number;
  trainMs: number;
  evalsWithoutImprovement: number;
  history: EvalPoint[];
  best?: BestWeights;
  /** Where the loop starts: batch `batch` (0-based) of epoch `epoch` (1-based). */
  start: { epoch: number; batch: number };
}

export function freshState(): TrainState {
  return { step: 0, lossSum: 0, lossCount: 0, trainMs: 0, evalsWithoutImprovement: 0, history: [], start: { epoch: 1, batch: 0 } };
}

/**
 * Restores a run from the checkpoint in `dir`, if there is one: parameters, optimiser moments, the
 * best weights and the counters. A checkpoint of another run (fingerprint) is refused.
 * @throws PandaError `CHECKPOINT_INVALID`.
 */
export async function resumeState(dir: string, runFingerprint: string, params: readonly NamedParam[], optimizer: AdamW, onProgress: ProgressListener): Promise<TrainState | undefined> {
  const saved = await loadCheckpoint(dir);
  if (!saved) return undefined;
  try {
    if (saved.meta.fingerprint !== runFingerprint) {
      throw new PandaError('CHECKPOINT_INVALID', `the checkpoint in ${dir} belongs to a different run (config, model or data differ); use another folder or delete it`, { details: { reason: 'fingerprint', dir } });
    }
    for (const p of params) assignChecked(p.variable, saved.tensors[p.key], p.key);
    const opt: Record<string, tf.Tensor> = {};
    for (const [k, t] of Object.entries(saved.tensors)) if (k.startsWith('opt/')) opt[k.slice(4)] = t;
    optimizer.load(opt, saved.meta.optimizerStep);
    const { step, lossSum, lossCount, trainMs, evalsWithoutImprovement, history } = saved.meta;
    const state: TrainState = { step, lossSum, lossCount, trainMs, evalsWithoutImprovement, history, start: { epoch: saved.meta.epoch, batch: saved.meta.batchInEpoch } };
    if (saved.meta.best) {
      const weights: Record<string, tf.Tensor> = {};
      for (const p of params) weights[p.key] = tf.clone(saved.tensors[`best/${p.key}`]!);
      state.best = { acc: saved.meta.best.acc, step: saved.meta.best.step, weights };
    }
    onProgress({ type: 'log', message: `resuming from step ${step} (${dir})` });
    return state;
  } finally {
    tf.dispose(saved.tensors);
  }
}

/** Saves the state atomically; the loop continues at batch `batchInEpoch` of `epoch`. */
export async function writeState(dir: string, runFingerprint: string, state: TrainState, params: readonly NamedParam[], optimizer: AdamW, at: { epoch: number; batchInEpoch: number }): Promise<void> {
  const tensors: Record<string, tf.Tensor> = Object.fromEntries(params.map((p) => [p.key, p.variable]));
  for (const [k, t] of Object.entries(optimizer.state())) tensors[`opt/${k}`] = t;
  if (state.best) for (const [k, t] of Object.entries(state.best.weights)) tensors[`best/${k}`] = t;
  const { step, lossSum, lossCount, trainMs, evalsWithoutImprovement, history, best } = state;
  await saveCheckpoint(dir, { fingerprint: runFingerprint, step, epoch: at.epoch, batchInEpoch: at.batchInEpoch, optimizerStep: optimizer.step, lossSum, lossCount, trainMs, evalsWithoutImprovement, history, best: best ? { acc: best.acc, step: best.step } : null }, tensors);
}

function assignChecked(variable: tf.Variable, value: tf.Tensor | undefined, key: string): void {
  if (!value || value.shape.join() !== variable.shape.join()) {
    throw new PandaError('CHECKPOINT_INVALID', `checkpoint tensor '${key}' is ${value ? `[${value.shape}]` : 'missing'}, expected [${variable.shape}]`);
  }
  variable.assign(value);
}
