import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { saveSafetensors, writeFileAtomic, currentBackend } from '@panda/runtime';
import type { TuneResult } from '../train/tune.js';
import { isPeftConfig, LEGACY_RUN_CONFIG_FILE, RUN_CONFIG_FILE, RUN_MANIFEST_FILE, RUN_TENSORS_FILE } from './runFiles.js';

export const RUN_FORMAT_VERSION = 1;

/**
 * Writes a run folder: `adapter.safetensors` (the trained tensors: head and, by method, `prompt`;
 * `prefix` (the folded table, plus the raw `prefix/*` parameters when reparameterised, so training
 * can continue from them); or every `encoder/<name>` weight), `panda_adapter.json` (what is needed
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
 * The three files of a run folder, each written atomically: the tensors, `panda_adapter.json`
 * and `manifest.json`. {@link saveRun} after training and `importPeft` both write runs through it.
 * An old run's `adapter_config.json` of panda's schema (the name runs of panda 0.1 used) is removed, so the
 * folder holds one config; a PEFT `adapter_config.json` there (it has `peft_type`) is left alone.
 */
export async function writeRunFiles(dir: string, weights: Record<string, tf.Tensor>, adapterConfig: object, manifest: object): Promise<{ files: string[] }> {
  const adapter = join(dir, RUN_TENSORS_FILE);
  await saveSafetensors(adapter, weights, { format: 'panda', formatVersion: String(RUN_FORMAT_VERSION) });
  const stable = (v: unknown) => JSON.stringify(v, null, 2) + '\n';
  const config = join(dir, RUN_CONFIG_FILE);
  await writeFileAtomic(config, stable(adapterConfig));
  await writeFileAtomic(join(dir, RUN_MANIFEST_FILE), stable(manifest));
  await removeLegacyConfig(dir);
  return { files: [adapter, config, join(dir, RUN_MANIFEST_FILE)] };
}

/** Removes `dir/adapter_config.json` when it is an old panda config (not PEFT's file of that name). */
async function removeLegacyConfig(dir: string): Promise<void> {
  const legacy = join(dir, LEGACY_RUN_CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(legacy, 'utf8');
  } catch {
    return;
  }
  let peft = false;
  try {
    peft = isPeftConfig(JSON.parse(text));
  } catch {
    // Unreadable JSON: not a PEFT config either; it is the stale config of an older run.
  }
  if (!peft) await unlink(legacy).catch(() => undefined);
}
