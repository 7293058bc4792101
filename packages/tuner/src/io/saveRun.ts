import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { saveSafetensors, writeFileAtomic, currentBackend } from '@panda/runtime';
import type { TuneResult } from '../train/tune.js';

export const RUN_FORMAT_VERSION = 1;

/**
 * Writes a run folder: `adapter.safetensors` (the trained tensors: head and, by method, `prompt`;
 * `prefix` (the folded table, plus the raw `prefix/*` parameters when reparameterised, so training
 * can continue from them); or every `encoder/<name>` weight), `adapter_config.json` (what is needed
 * to load it: config, backbone id, labels, method, the prefix layout) and `manifest.json` (metrics,
 * timing, seed, sampled training ids, versions). Each file is written atomically.
 */
export async function saveRun(
  dir: string,
  result: TuneResult,
  extra: { task: string; labels: readonly string[]; /** More manifest fields (e.g. a transfer's source). */ manifest?: Record<string, unknown> },
): Promise<{ files: string[] }> {
  const adapterConfig = {
    formatVersion: RUN_FORMAT_VERSION,
    backbone: result.backboneId,
    // How to load that backbone again (`--model`), when it has a spec: eval, predict and the bank read it.
    ...(result.backboneSpec ? { backboneSpec: result.backboneSpec } : {}),
    task: extra.task,
    labels: extra.labels,
    method: result.config.method,
    objective: result.objective,
    // What the method records (promptLength: rows of its prompt table, the template's soft rows
    // when the template has any; deep prompts: the P-tuning v2 prefix layout).
    promptLength: 0,
    ...result.adapter,
    // A template run: every input is rendered through it (and its soft tokens take the prompt rows).
    ...(result.config.template !== undefined ? { template: result.config.template } : {}),
    // How pairs reached the encoder: joined, two-tower ([u, v, |u − v|, u·v]) or the tokenizer's format.
    pairEncoding: result.pairEncoding,
    // Trained on text pairs or single texts: a single-text run refuses inputs with a second text.
    textPairs: result.textPairs,
    trainableParams: result.trainableParams,
    tensors: Object.fromEntries(Object.entries(result.weights).map(([k, t]) => [k, t.shape])),
  };
  const manifest = {
    formatVersion: RUN_FORMAT_VERSION,
    createdAt: new Date().toISOString(),
    task: extra.task,
    backbone: result.backboneId,
    backboneHash: result.backboneHash ?? null,
    tfBackend: currentBackend()?.name ?? tf.getBackend(),
    versions: { node: process.version, tfjs: tf.version_core },
    config: result.config,
    metrics: result.metrics,
    history: result.history,
    steps: result.steps,
    resumedFrom: result.resumedFrom,
    stoppedEarly: result.stoppedEarly,
    trainSeconds: result.trainSeconds,
    stepsPerSecond: result.stepsPerSecond,
    trainableParams: result.trainableParams,
    sizes: result.sizes,
    truncated: result.truncated,
    trainIds: result.trainIds,
    ...(result.init ? { init: result.init } : {}),
    ...(result.distill ? { distill: result.distill } : {}),
    ...(extra.manifest ?? {}),
  };
  return writeRunFiles(dir, result.weights, adapterConfig, manifest);
}

/**
 * The three files of a run folder, each written atomically: the tensors, `adapter_config.json`
 * and `manifest.json`. {@link saveRun} after training and `importPeft` both write runs through it.
 */
export async function writeRunFiles(dir: string, weights: Record<string, tf.Tensor>, adapterConfig: object, manifest: object): Promise<{ files: string[] }> {
  const adapter = join(dir, 'adapter.safetensors');
  await saveSafetensors(adapter, weights, { format: 'panda', formatVersion: String(RUN_FORMAT_VERSION) });
  const stable = (v: unknown) => JSON.stringify(v, null, 2) + '\n';
  await writeFileAtomic(join(dir, 'adapter_config.json'), stable(adapterConfig));
  await writeFileAtomic(join(dir, 'manifest.json'), stable(manifest));
  return { files: [adapter, join(dir, 'adapter_config.json'), join(dir, 'manifest.json')] };
}
