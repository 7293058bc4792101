import { readFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { PandaError } from '@panda/core';
import { writeFileAtomic } from '@panda/runtime';
import { findRunConfig, LEGACY_RUN_CONFIG_FILE, RUN_CONFIG_FILE, RUN_FILES as TUNER_RUN_FILES, RUN_MANIFEST_FILE, RUN_TENSORS_FILE } from '@panda/tuner';

/** The files of a saved run that travel with a job (the checkpoint folder stays where it was made). */
export const RUN_FILES = TUNER_RUN_FILES;

/**
 * A run folder as plain JSON: each of {@link RUN_FILES}, base64. Bundles made by panda 0.1 carry
 * the run's config as `adapter_config.json` (its old file name); they are still read, and
 * {@link unpackRun} writes that file as `panda_adapter.json`. (A 0.1 worker or coordinator does not
 * read the new name: upgrade both sides together.)
 */
export const runBundleSchema = z
  .object({
    files: z.partialRecord(z.enum([...RUN_FILES, LEGACY_RUN_CONFIG_FILE]), z.string()),
  })
  .strict()
  .refine((b) => b.files[RUN_TENSORS_FILE] !== undefined && b.files[RUN_MANIFEST_FILE] !== undefined && (b.files[RUN_CONFIG_FILE] === undefined) !== (b.files[LEGACY_RUN_CONFIG_FILE] === undefined), {
    message: `a run bundle carries ${RUN_FILES.join(', ')} (or a panda 0.1 bundle's ${LEGACY_RUN_CONFIG_FILE} in place of ${RUN_CONFIG_FILE})`,
    path: ['files'],
  });
export type RunBundle = z.infer<typeof runBundleSchema>;

/**
 * Reads a saved run folder into a bundle (all three files must be there). A run of panda 0.1
 * (its config in `adapter_config.json`) is packed under the current names.
 */
export async function packRun(dir: string): Promise<RunBundle> {
  const config = await findRunConfig(dir);
  const sources: Array<[(typeof RUN_FILES)[number], string]> = [
    [RUN_TENSORS_FILE, join(dir, RUN_TENSORS_FILE)],
    [RUN_CONFIG_FILE, config && !config.peft ? config.file : join(dir, RUN_CONFIG_FILE)],
    [RUN_MANIFEST_FILE, join(dir, RUN_MANIFEST_FILE)],
  ];
  const files: RunBundle['files'] = {};
  for (const [name, path] of sources) {
    try {
      files[name] = (await readFile(path)).toString('base64');
    } catch (err) {
      throw new PandaError('CHECKPOINT_INVALID', `${dir} is not a saved run: ${name} cannot be read (${(err as Error).message})`, { details: { path: dir } });
    }
  }
  return { files };
}

/** Bytes a bundle carries (decoded). */
export function bundleBytes(bundle: RunBundle): number {
  return Object.values(bundle.files).reduce((n, b64) => n + Math.floor(((b64 ?? '').length * 3) / 4), 0);
}

/**
 * Writes a bundle's files into `dir` (created), each atomically; the names are fixed by the schema
 * (a panda 0.1 bundle's `adapter_config.json` is written as `panda_adapter.json`).
 */
export async function unpackRun(bundle: RunBundle, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, b64] of Object.entries(bundle.files)) {
    if (b64 === undefined) continue;
    const path = join(dir, name === LEGACY_RUN_CONFIG_FILE ? RUN_CONFIG_FILE : name);
    await writeFileAtomic(path, Buffer.from(b64, 'base64'));
    written.push(path);
  }
  return written;
}
