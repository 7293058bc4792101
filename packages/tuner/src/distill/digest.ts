import { createHash } from 'node:crypto';
import type * as tf from '@tensorflow/tfjs-core';

/**
 * SHA-256 (hex, first 16 characters) of named tensors: keys in sorted order, each with its shape,
 * dtype and bytes. Identifies a prompt transfer's initial values or a teacher in fingerprints and
 * manifests. Reads the data synchronously.
 */
export function tensorDigest(tensors: Record<string, tf.Tensor>): string {
  const h = createHash('sha256');
  for (const key of Object.keys(tensors).sort()) {
    const t = tensors[key]!;
    h.update(`${key}:${t.dtype}:[${t.shape}]\n`);
    const data = t.dataSync() as Float32Array | Int32Array;
    h.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  return h.digest('hex').slice(0, 16);
}
