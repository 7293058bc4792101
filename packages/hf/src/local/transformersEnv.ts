/**
 * transformers.js, strictly local: panda never lets it reach a model hub. Every load goes through
 * {@link localPretrainedPath}, which turns remote models off (`env.allowRemoteModels = false`,
 * process-wide for transformers.js), keeps local models on, points `env.localModelPath` at the
 * folder's parent and hands back the absolute folder path, loaded with `local_files_only: true`.
 */
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { env } from '@huggingface/transformers';
import { PandaError } from '@panda/core';

/**
 * Configures transformers.js for a local folder.
 * @returns the absolute folder path to pass to `from_pretrained` (with `local_files_only: true`).
 * @throws `MODEL_NOT_FOUND` when the folder does not exist.
 */
export async function localPretrainedPath(dir: string): Promise<string> {
  const abs = resolve(dir);
  try {
    if (!(await stat(abs)).isDirectory()) throw new Error('not a directory');
  } catch (err) {
    throw new PandaError('MODEL_NOT_FOUND', `model folder ${abs} does not exist or is not a directory`, { cause: err, details: { dir: abs } });
  }
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${dirname(abs)}/`;
  return abs;
}
