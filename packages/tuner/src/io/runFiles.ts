import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A run folder's tensors (panda's own names and metadata; not PEFT's `adapter_model.safetensors`). */
export const RUN_TENSORS_FILE = 'adapter.safetensors';
/** A run folder's own config (backbone, task, labels, method, tensor shapes): panda's schema. */
export const RUN_CONFIG_FILE = 'panda_adapter.json';
/** The run's manifest (metrics, history, config, versions). */
export const RUN_MANIFEST_FILE = 'manifest.json';
/**
 * The name runs of panda 0.1 gave their config. It is PEFT's file name, so a folder holding
 * only this file is read as a panda run only when the file is panda's (it has no `peft_type`).
 */
export const LEGACY_RUN_CONFIG_FILE = 'adapter_config.json';
/** The files {@link writeRunFiles} writes, in this order. */
export const RUN_FILES = [RUN_TENSORS_FILE, RUN_CONFIG_FILE, RUN_MANIFEST_FILE] as const;

/** True for parsed JSON that is a PEFT adapter config (it names a `peft_type`), not a panda run's. */
export function isPeftConfig(json: unknown): boolean {
  return typeof json === 'object' && json !== null && 'peft_type' in json;
}

/** True when `text` is an `adapter_config.json` of panda's own schema (JSON without `peft_type`). */
function isLegacyPandaConfig(text: string): boolean {
  try {
    const json = JSON.parse(text) as unknown;
    return typeof json === 'object' && json !== null && !Array.isArray(json) && !isPeftConfig(json);
  } catch {
    // Not JSON at all: neither PEFT's nor readable; let the reader report it as panda's broken config.
    return true;
  }
}

/**
 * Which file of `dir` holds the run's config: `panda_adapter.json`, else an old run's
 * `adapter_config.json` when it is panda's (a PEFT adapter's file of that name is not a run's);
 * `legacy` says which. Undefined when there is neither.
 */
export async function findRunConfig(dir: string): Promise<{ file: string; name: string; legacy: boolean; peft?: true } | undefined> {
  const current = join(dir, RUN_CONFIG_FILE);
  if (existsSync(current)) return { file: current, name: RUN_CONFIG_FILE, legacy: false };
  const legacy = join(dir, LEGACY_RUN_CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(legacy, 'utf8');
  } catch {
    return undefined;
  }
  return isLegacyPandaConfig(text) ? { file: legacy, name: LEGACY_RUN_CONFIG_FILE, legacy: true } : { file: legacy, name: LEGACY_RUN_CONFIG_FILE, legacy: true, peft: true };
}

/**
 * The synchronous form of {@link findRunConfig} for callers that only ask whether a folder holds a
 * run: the path of its panda config file, or undefined (a PEFT `adapter_config.json` alone is not one).
 */
export function runConfigPathSync(dir: string): string | undefined {
  const current = join(dir, RUN_CONFIG_FILE);
  if (existsSync(current)) return current;
  const legacy = join(dir, LEGACY_RUN_CONFIG_FILE);
  try {
    return isLegacyPandaConfig(readFileSync(legacy, 'utf8')) ? legacy : undefined;
  } catch {
    return undefined;
  }
}
