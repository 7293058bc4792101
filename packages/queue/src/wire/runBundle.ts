import { readFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { PandaError } from '@panda/core';
import { writeFileAtomic } from '@panda/runtime';

/** The files of a saved run that travel with a job (the checkpoint folder stays where it was made). */
export const RUN_FILES = ['adapter.safetensors', 'adapter_config.json', 'manifest.json'] as const;

/** A run folder as plain JSON: each of {@link RUN_FILES}, base64. */
export const runBundleSchema = z
  .object({
    files: z.record(z.enum(RUN_FILES), z.string()),
  })
  .strict();
export type RunBundle = z.infer<typeof runBundleSchema>;

/** Reads a saved run folder into a bundle (all three files must be there). */
export async function packRun(dir: string): Promise<RunBundle> {
  const files: Partial<Record<(typeof RUN_FILES)[number], string>> = {};
  for (const name of RUN_FILES) {
    try {
      files[name] = (await readFile(join(dir, name))).toString('base64');
    } catch (err) {
      throw new PandaError('CHECKPOINT_INVALID', `${dir} is not a saved run: ${name} cannot be read (${(err as Error).message})`, { details: { path: dir } });
    }
  }
  return { files: files as RunBundle['files'] };
}

/** Bytes a bundle carries (decoded). */
export function bundleBytes(bundle: RunBundle): number {
  return Object.values(bundle.files).reduce((n, b64) => n + Math.floor((b64.length * 3) / 4), 0);
}

/** Writes a bundle's files into `dir` (created), each atomically; the names are fixed by the schema. */
export async function unpackRun(bundle: RunBundle, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, b64] of Object.entries(bundle.files)) {
    const path = join(dir, name);
    await writeFileAtomic(path, Buffer.from(b64, 'base64'));
    written.push(path);
  }
  return written;
}
