/**
 * transformers.js, strictly local, without touching its process-wide settings. panda never lets
 * transformers.js reach a model hub, and it never writes transformers.js's shared `env`
 * (`allowRemoteModels`, `localModelPath`, ...): a host application that uses transformers.js for
 * itself keeps its own settings. Each load goes through {@link localPretrainedPath}, which checks
 * the folder and hands back its absolute path, and passes {@link LOCAL_ONLY} to `from_pretrained`:
 * `local_files_only: true` makes transformers.js read that path and nothing else (an absolute path
 * is not a hub model id, so `env.localModelPath` plays no part; a missing file is an error, never
 * a download).
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { env } from '@huggingface/transformers';
import { PandaError } from '@panda/core';

/** The options panda passes to every transformers.js `from_pretrained`: local files only. */
export const LOCAL_ONLY = { local_files_only: true } as const;

/**
 * Checks a local model folder for transformers.js.
 * @returns the absolute folder path to pass to `from_pretrained` (with {@link LOCAL_ONLY}).
 * @throws `MODEL_NOT_FOUND` when the folder does not exist; `CONFIG_INVALID` when the process has
 *   turned transformers.js's local models off (`env.allowLocalModels = false`), which panda does
 *   not override for the host.
 */
export async function localPretrainedPath(dir: string): Promise<string> {
  const abs = resolve(dir);
  try {
    if (!(await stat(abs)).isDirectory()) throw new Error('not a directory');
  } catch (err) {
    throw new PandaError('MODEL_NOT_FOUND', `model folder ${abs} does not exist or is not a directory`, { cause: err, details: { dir: abs } });
  }
  if (!env.allowLocalModels) {
    throw new PandaError(
      'CONFIG_INVALID',
      `cannot load ${abs}: transformers.js's env.allowLocalModels is false in this process, and panda loads Hugging Face models only from local folders (it does not change that setting for the host application)`,
      { details: { dir: abs, setting: 'env.allowLocalModels' } },
    );
  }
  return abs;
}
