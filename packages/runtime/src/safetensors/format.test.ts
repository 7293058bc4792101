import { describe, expect, it } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { isPandaError } from '@panda/core';
import { decodeSafetensors, encodeSafetensors } from './format.js';
import { loadSafetensors, saveSafetensors } from './tensorsIo.js';
import { initBackend } from '../backend/initBackend.js';

function header(obj: unknown, body = new Uint8Array()): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(obj));
  const out = new Uint8Array(8 + json.length + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(body, 8 + json.length);
  return out;
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isPandaError(err) ? err.code : `not a PandaError: ${String(err)}`;
  }
  return undefined;
}

describe('safetensors', () => {
  it('round-trips float32, int32 and bool tensors with metadata', () => {
    const bytes = encodeSafetensors(
      {
        a: { dtype: 'float32', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4.5, -5, 6e-8]) },
        b: { dtype: 'int32', shape: [4], data: Int32Array.from([1, -2, 2147483647, 0]) },
        c: { dtype: 'bool', shape: [2], data: Uint8Array.from([1, 0]) },
        empty: { dtype: 'float32', shape: [0, 5], data: new Float32Array(0) },
      },
      { format: 'pt' },
    );
    expect((8 + Number(new DataView(bytes.buffer).getBigUint64(0, true))) % 8).toBe(0);
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(metadata).toEqual({ format: 'pt' });
    expect(tensors['a']!.shape).toEqual([2, 3]);
    expect(Array.from(tensors['a']!.data)).toEqual(Array.from(Float32Array.from([1, 2, 3, 4.5, -5, 6e-8])));
    expect(Array.from(tensors['b']!.data)).toEqual([1, -2, 2147483647, 0]);
    expect(tensors['c']!.dtype).toBe('bool');
    expect(tensors['empty']!.shape).toEqual([0, 5]);
  });

  it('reads F16, BF16, F64 and I64 files written by other tools', () => {
    const body = new Uint8Array(2 + 2 + 8 + 8);
    const dv = new DataView(body.buffer);
    dv.setUint16(0, 0x3c00, true); // f16 1.0
    dv.setUint16(2, 0xc040, true); // bf16 -3.0
    dv.setFloat64(4, 0.25, true);
    dv.setBigInt64(12, -7n, true);
    const bytes = header(
      {
        h: { dtype: 'F16', shape: [1], data_offsets: [0, 2] },
        bf: { dtype: 'BF16', shape: [1], data_offsets: [2, 4] },
        d: { dtype: 'F64', shape: [1], data_offsets: [4, 12] },
        i: { dtype: 'I64', shape: [1], data_offsets: [12, 20] },
      },
      body,
    );
    const { tensors } = decodeSafetensors(bytes);
    expect(tensors['h']!.data[0]).toBe(1);
    expect(tensors['bf']!.data[0]).toBe(-3);
    expect(tensors['d']!.data[0]).toBe(0.25);
    expect(tensors['i']!.data[0]).toBe(-7);
  });

  it('rejects bad headers with SAFETENSORS_INVALID', () => {
    expect(code(() => decodeSafetensors(new Uint8Array(3)))).toBe('SAFETENSORS_INVALID');
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 1000n, true);
    expect(code(() => decodeSafetensors(huge))).toBe('SAFETENSORS_INVALID');
    const notJson = new Uint8Array(8 + 3);
    new DataView(notJson.buffer).setBigUint64(0, 3n, true);
    notJson.set([123, 120, 120], 8);
    expect(code(() => decodeSafetensors(notJson))).toBe('SAFETENSORS_INVALID');
    expect(code(() => decodeSafetensors(header({ a: { dtype: 'Q4', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1))))).toBe('SAFETENSORS_INVALID');
    // shape disagrees with the byte range
    expect(code(() => decodeSafetensors(header({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8))))).toBe('SAFETENSORS_INVALID');
    // offsets past the end
    expect(code(() => decodeSafetensors(header({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(8))))).toBe('SAFETENSORS_INVALID');
    // overlapping tensors
    expect(
      code(() =>
        decodeSafetensors(
          header({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)),
        ),
      ),
    ).toBe('SAFETENSORS_INVALID');
    // trailing bytes
    expect(code(() => decodeSafetensors(header({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(8))))).toBe('SAFETENSORS_INVALID');
    expect(code(() => encodeSafetensors({ a: { dtype: 'float32', shape: [3], data: new Float32Array(2) } }))).toBe('SHAPE_MISMATCH');
  });

  it('saves and loads tfjs tensors through a file, checking expected shapes and dtypes', async () => {
    await initBackend();
    const dir = await mkdtemp(join(tmpdir(), 'panda-st-'));
    const path = join(dir, 'x.safetensors');
    const a = tf.tensor2d([[1, 2], [3, 4]]);
    await saveSafetensors(path, { a, n: tf.tensor1d([5, 6], 'int32') }, { step: '3' });
    const { tensors, metadata } = await loadSafetensors(path, { a: { shape: [2, 2], dtype: 'float32' } });
    expect(metadata['step']).toBe('3');
    expect(Array.from(tensors['a']!.dataSync())).toEqual([1, 2, 3, 4]);
    expect(tensors['n']!.dtype).toBe('int32');
    tf.dispose(tensors);
    await expect(loadSafetensors(path, { a: { shape: [4] } })).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    await expect(loadSafetensors(path, { a: { shape: [2, 2], dtype: 'int32' } })).rejects.toMatchObject({ code: 'DTYPE_MISMATCH' });
    await expect(loadSafetensors(path, { zz: { shape: [1] } })).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    await writeFile(join(dir, 'bad.safetensors'), 'garbage!garbage');
    await expect(loadSafetensors(join(dir, 'bad.safetensors'))).rejects.toMatchObject({ code: 'SAFETENSORS_INVALID' });
    await expect(loadSafetensors(join(dir, 'missing.safetensors'))).rejects.toMatchObject({ code: 'CHECKPOINT_INVALID' });
    a.dispose();
  });
});
