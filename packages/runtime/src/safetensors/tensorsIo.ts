import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import { PandaError } from '@panda/core';
import { decodeSafetensors, encodeSafetensors, type TensorToWrite } from './format.js';
import { writeFileAtomic } from '../fs/writeFileAtomic.js';

/** Expected dtype and shape of a named tensor, checked on load. */
export type TensorSpec = Record<string, { shape: number[]; dtype?: 'float32' | 'int32' | 'bool' }>;

/**
 * Writes tfjs tensors to a safetensors file atomically (temp file + rename).
 * Reads the tensor data (async, no tidy needed); the tensors stay owned by the caller.
 */
export async function saveSafetensors(path: string, tensors: Record<string, tf.Tensor>, metadata: Record<string, string> = {}): Promise<void> {
  const raw: Record<string, TensorToWrite> = {};
  for (const [name, t] of Object.entries(tensors)) {
    if (t.dtype !== 'float32' && t.dtype !== 'int32' && t.dtype !== 'bool') {
      throw new PandaError('DTYPE_MISMATCH', `tensor '${name}' has dtype ${t.dtype}; safetensors export supports float32, int32, bool`);
    }
    raw[name] = { dtype: t.dtype, shape: t.shape.slice(), data: (await t.data()) as Float32Array | Int32Array | Uint8Array };
  }
  await writeFileAtomic(path, encodeSafetensors(raw, metadata));
}

/**
 * Reads a safetensors file into tfjs tensors; the caller owns them (`tf.dispose(result.tensors)`).
 * With `expect`, each named tensor must exist with that shape (and dtype), else `SHAPE_MISMATCH` /
 * `DTYPE_MISMATCH`; nothing is allocated when a check fails.
 */
export async function loadSafetensors(
  path: string,
  expect?: TensorSpec,
): Promise<{ tensors: Record<string, tf.Tensor>; metadata: Record<string, string> }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new PandaError('CHECKPOINT_INVALID', `cannot read safetensors file ${path}: ${(err as Error).message}`, { cause: err });
  }
  const { tensors: raw, metadata } = decodeSafetensors(bytes, path);
  if (expect) {
    for (const [name, spec] of Object.entries(expect)) {
      const t = raw[name];
      if (!t) throw new PandaError('SHAPE_MISMATCH', `${path}: tensor '${name}' is missing (has: ${Object.keys(raw).join(', ') || 'none'})`);
      if (t.shape.length !== spec.shape.length || t.shape.some((d, i) => d !== spec.shape[i])) {
        throw new PandaError('SHAPE_MISMATCH', `${path}: tensor '${name}' has shape [${t.shape.join(', ')}], expected [${spec.shape.join(', ')}]`, {
          details: { name, actual: t.shape, expected: spec.shape },
        });
      }
      if (spec.dtype && t.dtype !== spec.dtype) {
        throw new PandaError('DTYPE_MISMATCH', `${path}: tensor '${name}' has dtype ${t.dtype}, expected ${spec.dtype}`);
      }
    }
  }
  const tensors: Record<string, tf.Tensor> = {};
  for (const [name, t] of Object.entries(raw)) tensors[name] = tf.tensor(t.data, t.shape, t.dtype);
  return { tensors, metadata };
}
