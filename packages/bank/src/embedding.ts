import { PandaError } from '@panda/core';
import type { EmbeddingInput } from './types.js';

/**
 * Embeddings: conversion to float32, checks, and the SQLite BLOB encoding (the float32 values in
 * the platform's byte order, little-endian on every platform Node supports, `dim · 4` bytes).
 */

/** Copies `value` into a fresh Float32Array after checking every component is finite and the norm is not 0. */
export function toVector(value: EmbeddingInput, what = 'embedding'): Float32Array {
  const v = Float32Array.from(value as ArrayLike<number>);
  if (v.length === 0) throw new PandaError('DIMENSION_MISMATCH', `${what} is empty`, { details: { actual: 0 } });
  let sq = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (!Number.isFinite(x)) throw new PandaError('CONFIG_INVALID', `${what}[${i}] is not finite (${x})`, { details: { index: i } });
    sq += x * x;
  }
  if (sq === 0) throw new PandaError('CONFIG_INVALID', `${what} is all zeros: cosine similarity is undefined for it`);
  return v;
}

/** `[dim]` float32 → BLOB of dim·4 bytes (shares no memory with `v`). */
export function encodeEmbedding(v: Float32Array): Buffer {
  return Buffer.from(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
}

/** BLOB → `[dim]` float32; BANK_CORRUPT when the length does not match. */
export function decodeEmbedding(blob: Buffer, dim: number, label: number): Float32Array {
  if (blob.byteLength !== dim * 4) {
    throw new PandaError('BANK_CORRUPT', `stored embedding of label ${label} has ${blob.byteLength} bytes, expected ${dim * 4} (dim ${dim})`, {
      details: { label, bytes: blob.byteLength, dim },
    });
  }
  const copy = new Uint8Array(blob.byteLength);
  copy.set(blob);
  return new Float32Array(copy.buffer);
}

