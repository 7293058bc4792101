import * as tf from '@tensorflow/tfjs-core';
import { PandaError } from '@panda/core';
import type { Backbone, PairEncoding } from '@panda/backbones';
import { AdaptedModel } from '../model/adaptedModel.js';
import { FixedHead } from '../model/head.js';
import { templateRendering, type InputEncoding } from '../model/inputEncoding.js';
import { resolveMethod } from '../methods/registry.js';
import { loadRun, type AdapterConfig, type LoadedRun } from './loadRun.js';

/** A saved run (or a teacher's weights) described enough to rebuild its adapted model. */
export interface SavedModelParts {
  /** The run's method name, as recorded. */
  method: string;
  /** Its tensors by key; the caller keeps ownership (the model copies what it keeps). */
  weights: Readonly<Record<string, tf.Tensor>>;
  /** Its `panda_adapter.json` fields (promptLength, prefix, template, pairEncoding, ...). */
  adapter: Readonly<Record<string, unknown>>;
  /** The run's `maxSeqLength`, if it set one. */
  maxSeqLength?: number;
}

/**
 * Rebuilds the adapted model of a saved run on a backbone: the method's saved parameters (through
 * the method registry), the head, and the input encoding the run recorded.
 * @param options.dropout apply the run's training dropout in training injections (teachers)
 */
export function modelFromParts(backbone: Backbone, parts: SavedModelParts, options: { dropout?: boolean } = {}): AdaptedModel {
  const encoding = encodingOf(backbone, parts);
  const method = resolveMethod(parts.method, encoding.template?.layout.rows ?? 0);
  const instance = method.load({ backbone, weights: parts.weights, adapter: parts.adapter, ...(encoding.template ? { template: encoding.template } : {}), dropout: options.dropout ?? false });
  try {
    return new AdaptedModel(backbone, instance, new FixedHead(parts.weights), encoding);
  } catch (err) {
    instance.dispose();
    throw err;
  }
}

/** The input encoding a run recorded (runs written before `pairEncoding` was recorded joined pairs). */
export function encodingOf(backbone: Backbone, parts: Pick<SavedModelParts, 'adapter' | 'maxSeqLength'>): InputEncoding {
  const template = typeof parts.adapter.template === 'string' ? templateRendering(parts.adapter.template, backbone) : undefined;
  const pairs = (parts.adapter.pairEncoding as PairEncoding | undefined) ?? 'joined';
  const textPairs = typeof parts.adapter.textPairs === 'boolean' ? parts.adapter.textPairs : undefined;
  return { pairs, ...(template ? { template } : {}), ...(parts.maxSeqLength ? { maxSeqLength: parts.maxSeqLength } : {}), ...(textPairs !== undefined ? { textPairs } : {}) };
}

/** The parts of a loaded run folder (see {@link loadRun}). */
export function partsOfRun(run: LoadedRun): SavedModelParts {
  const max = (run.manifest.config as { maxSeqLength?: unknown } | undefined)?.maxSeqLength;
  return { method: run.adapter.method, weights: run.weights, adapter: run.adapter, ...(typeof max === 'number' && max > 0 ? { maxSeqLength: max } : {}) };
}

/**
 * Reads a run folder and rebuilds its adapted model on `backbone` (which must be the run's).
 * @throws PandaError `MODEL_MISMATCH` for a run of another backbone, and whatever {@link loadRun}
 *   and the method's loader throw for a bad folder.
 */
export async function loadAdaptedModel(dir: string, backbone: Backbone, options: { dropout?: boolean } = {}): Promise<{ model: AdaptedModel; adapter: AdapterConfig; manifest: Record<string, unknown> }> {
  const run = await loadRun(dir);
  try {
    if (run.adapter.backbone !== backbone.id) throw new PandaError('MODEL_MISMATCH', `run ${dir} was trained on ${run.adapter.backbone}, this process runs ${backbone.id}`);
    const model = modelFromParts(backbone, partsOfRun(run), options);
    return { model, adapter: run.adapter, manifest: run.manifest };
  } catch (err) {
    if (err instanceof PandaError && err.code !== 'MODEL_MISMATCH' && !err.message.startsWith('run ')) throw new PandaError(err.code, `run ${dir}: ${err.message}`, { cause: err });
    throw err;
  } finally {
    for (const t of Object.values(run.weights)) t.dispose();
  }
}

/**
 * The adapted model of bare prompt weights (a `prompt` [m, embedDim], a folded `prefix`
 * [m, 2·Σ d_l], or neither: the plain model) with a zero head and joined pairs: what reading an
 * encoder through a prompt needs when there is no run folder (tests, metrics over raw prompts).
 */
export function modelOfPrompt(backbone: Backbone, weights: { prompt?: tf.Tensor2D; prefix?: tf.Tensor2D }): AdaptedModel {
  const method = weights.prompt ? 'prompt-tuning' : weights.prefix ? 'deep-prompt-tuning' : 'linear-probe';
  const head = { 'head/kernel': tf.zeros([backbone.encoder.hidden, 1]), 'head/bias': tf.zeros([1]) };
  try {
    return modelFromParts(backbone, { method, weights: { ...weights, ...head }, adapter: { pairEncoding: 'joined' } });
  } finally {
    for (const t of Object.values(head)) t.dispose();
  }
}
