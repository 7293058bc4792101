/**
 * The tensors of a Hugging Face checkpoint folder: `model.safetensors`, or the shards a
 * `model.safetensors.index.json` lists (`save_pretrained` shards large models).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { PandaError } from '@panda/core';
import { decodeSafetensors, type RawTensor } from '@panda/runtime';

const indexSchema = z.looseObject({ weight_map: z.record(z.string(), z.string()) });

async function read(path: string): Promise<Uint8Array | undefined> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PandaError('MODEL_NOT_FOUND', `cannot read ${path}: ${(err as Error).message}`, { cause: err, details: { path } });
  }
}

async function exists(path: string): Promise<boolean> {
  return readFile(path).then(
    () => true,
    () => false,
  );
}

/**
 * @returns the decoded tensors and the files they came from.
 * @throws `MODEL_NOT_FOUND` when the folder has no safetensors weights (with a hint when it has
 *   only `pytorch_model.bin`); `SAFETENSORS_INVALID` for a malformed file or index.
 */
export async function readCheckpointTensors(dir: string): Promise<{ tensors: Record<string, RawTensor>; files: string[] }> {
  const single = join(dir, 'model.safetensors');
  const bytes = await read(single);
  if (bytes) return { tensors: decodeSafetensors(bytes, single).tensors, files: [single] };
  const indexPath = join(dir, 'model.safetensors.index.json');
  const indexText = await read(indexPath);
  if (indexText) {
    let parsed: z.infer<typeof indexSchema>;
    try {
      parsed = indexSchema.parse(JSON.parse(new TextDecoder().decode(indexText)));
    } catch (err) {
      throw new PandaError('SAFETENSORS_INVALID', `${indexPath}: not a safetensors index (${(err as Error).message})`, { cause: err, details: { path: indexPath } });
    }
    const shards = [...new Set(Object.values(parsed.weight_map))].sort();
    const tensors: Record<string, RawTensor> = {};
    for (const shard of shards) {
      const path = join(dir, shard);
      const data = await read(path);
      if (!data) throw new PandaError('MODEL_NOT_FOUND', `${indexPath} lists ${shard}, which is not in ${dir}`, { details: { path } });
      Object.assign(tensors, decodeSafetensors(data, path).tensors);
    }
    return { tensors, files: [indexPath, ...shards.map((s) => join(dir, s))] };
  }
  const hint = (await exists(join(dir, 'pytorch_model.bin')))
    ? ' (the folder has pytorch_model.bin, a pickle panda does not read: convert it, e.g. save_pretrained(..., safe_serialization=True))'
    : '';
  throw new PandaError('MODEL_NOT_FOUND', `no model.safetensors or model.safetensors.index.json in ${dir}${hint}`, { details: { dir } });
}
