/**
 * Hugging Face checkpoints in @panda/backbones' registry: `loadBackbone('<folder>')` for a local
 * folder with a config.json, or `loadBackbone('hf:<folder>')`.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { getBackboneLoader, registerBackbone, type BackboneLoader } from '@panda/backbones';
import { loadHfBackbone } from './load.js';

/** The explicit prefix: `hf:<folder>` always goes to this loader (a missing folder is then `MODEL_NOT_FOUND`). */
export const HF_SPEC_PREFIX = 'hf:';

function hasConfig(dir: string): boolean {
  try {
    return statSync(join(dir, 'config.json')).isFile();
  } catch {
    return false;
  }
}

/** The `hf` loader: a BERT or RoBERTa folder through {@link loadHfBackbone} with its defaults. */
export const hfBackboneLoader: BackboneLoader = {
  name: 'hf',
  description: `Hugging Face BERT/RoBERTa checkpoint: a local folder with config.json, or '${HF_SPEC_PREFIX}<folder>'`,
  matches: (spec) => spec.startsWith(HF_SPEC_PREFIX) || hasConfig(spec),
  load: (spec) => loadHfBackbone(spec.startsWith(HF_SPEC_PREFIX) ? spec.slice(HF_SPEC_PREFIX.length) : spec),
};

/**
 * Registers {@link hfBackboneLoader} (after the loaders already registered). Idempotent.
 * @throws `CONFIG_INVALID` when another loader already took the name `hf`.
 */
export function registerHfBackbones(): void {
  if (getBackboneLoader(hfBackboneLoader.name) === hfBackboneLoader) return;
  registerBackbone(hfBackboneLoader);
}
