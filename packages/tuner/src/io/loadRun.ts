import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { PandaError } from '@panda/core';
import { loadSafetensors } from '@panda/runtime';
import { RUN_FORMAT_VERSION } from './saveRun.js';
import { findRunConfig, RUN_CONFIG_FILE, RUN_FILES, RUN_MANIFEST_FILE, RUN_TENSORS_FILE } from './runFiles.js';

/** A run's `panda_adapter.json` (`adapter_config.json` in runs of panda 0.1) as {@link saveRun} writes it (fields a loader needs; others pass through). */
export const adapterConfigSchema = z
  .object({
    formatVersion: z.literal(RUN_FORMAT_VERSION),
    backbone: z.string(),
    /** The spec that loads the backbone (`use-lite`, a Hugging Face folder); runs before it have none. */
    backboneSpec: z.string().optional(),
    task: z.string(),
    /** Class names; empty for a regression run. */
    labels: z.array(z.string()),
    /** A registered tuning method's name (the built-ins, or a plugin's). */
    method: z.string().min(1),
    /** Runs written before regression existed have no objective: classification. */
    objective: z.enum(['classification', 'regression']).default('classification'),
    /** The template inputs were rendered through, when the run used one. */
    template: z.string().optional(),
    /** How pairs were encoded (runs without it joined them). */
    pairEncoding: z.enum(['joined', 'two-tower', 'tokenizer']).default('joined'),
    promptLength: z.number().int().min(0),
    prefix: z.record(z.string(), z.unknown()).optional(),
    trainableParams: z.number().int().min(0),
    tensors: z.record(z.string(), z.array(z.number().int().min(0))),
  })
  .passthrough()
  .refine((c) => c.objective === 'regression' || c.labels.length > 0, { message: 'a classification run lists at least one label', path: ['labels'] });

export type AdapterConfig = z.infer<typeof adapterConfigSchema>;

export interface LoadedRun {
  dir: string;
  adapter: AdapterConfig;
  /** The run's manifest (metrics, history, config, ...), as written. */
  manifest: Record<string, unknown>;
  /** Trained tensors by key (`prompt` | `prefix` | `encoder/*`, `head/kernel`, `head/bias`); the caller owns them. */
  weights: Record<string, tf.Tensor>;
}

/**
 * Reads a run folder written by {@link saveRun}: its adapter config (validated), manifest and
 * tensors (checked against the shapes the config lists). Runs of panda 0.1 keep their config
 * in `adapter_config.json` and are read the same. Errors: MODEL_NOT_FOUND for a missing folder or
 * file, CHECKPOINT_INVALID for a config that does not parse or a PEFT adapter folder,
 * SAFETENSORS_INVALID / SHAPE_MISMATCH from the tensor file.
 */
export async function loadRun(dir: string): Promise<LoadedRun> {
  const adapter = await readAdapterConfig(dir);
  const manifest = (await readRunJson(dir, RUN_MANIFEST_FILE)) as Record<string, unknown>;
  const spec = Object.fromEntries(Object.entries(adapter.tensors).map(([k, shape]) => [k, { shape }]));
  const { tensors } = await loadSafetensors(join(dir, RUN_TENSORS_FILE), spec);
  return { dir, adapter, manifest, weights: tensors };
}

/**
 * A run folder's config (`panda_adapter.json`, or an old run's `adapter_config.json`), validated,
 * without reading its tensors (which backbone and method a run needs, before loading either).
 * @throws MODEL_NOT_FOUND for a missing folder or file, CHECKPOINT_INVALID for one that does not
 * parse, or for a PEFT adapter folder (its `adapter_config.json` has `peft_type`), which
 * `importPeft` turns into a run
 */
export async function readAdapterConfig(dir: string): Promise<AdapterConfig> {
  const found = await findRunConfig(dir);
  if (found?.peft) {
    throw new PandaError('CHECKPOINT_INVALID', `${dir} holds a PEFT adapter (${found.name} with peft_type), not a panda run; turn it into one with \`panda import ${dir} --format peft --out <run>\` (importPeft)`, { details: { path: found.file } });
  }
  const name = found?.name ?? RUN_CONFIG_FILE;
  const parsed = adapterConfigSchema.safeParse(await readRunJson(dir, name));
  if (!parsed.success) throw new PandaError('CHECKPOINT_INVALID', `${join(dir, name)}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

async function readRunJson(dir: string, name: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(join(dir, name), 'utf8');
  } catch (err) {
    throw new PandaError('MODEL_NOT_FOUND', `no ${name} in ${dir}: not a saved run (expected ${RUN_FILES.join(', ')})`, { cause: err });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new PandaError('CHECKPOINT_INVALID', `${join(dir, name)} is not valid JSON`, { cause: err });
  }
}
