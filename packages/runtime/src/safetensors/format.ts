import { z } from 'zod';
import { PandaError } from '@panda/core';

/**
 * The safetensors format (https://huggingface.co/docs/safetensors): an 8-byte little-endian header
 * length N, N bytes of JSON `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__? }`,
 * then the tensor bytes, little-endian and row-major. Pure (no tfjs), so any package can use it.
 */
export type SafetensorsDtype = 'F32' | 'F16' | 'BF16' | 'F64' | 'I32' | 'I64' | 'U8' | 'BOOL';

/** A decoded tensor: `F16`, `BF16` and `F64` are widened/narrowed to Float32Array on read. */
export interface RawTensor {
  dtype: 'float32' | 'int32' | 'bool';
  /** The dtype stored in the file. */
  fileDtype: SafetensorsDtype;
  shape: number[];
  data: Float32Array | Int32Array | Uint8Array;
}

const BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I32: 4, I64: 8, U8: 1, BOOL: 1 };
const MAX_HEADER = 100 * 1024 * 1024;

const entrySchema = z
  .object({
    dtype: z.enum(['F32', 'F16', 'BF16', 'F64', 'I32', 'I64', 'U8', 'BOOL']),
    shape: z.array(z.number().int().nonnegative()),
    data_offsets: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]),
  })
  .strict();
const metadataSchema = z.record(z.string(), z.string());

function fail(message: string, source: string | undefined, details: Record<string, unknown> = {}): never {
  throw new PandaError('SAFETENSORS_INVALID', source ? `${source}: ${message}` : message, {
    details: { ...details, source },
  });
}

function f16ToF32(h: number): number {
  const s = (h & 0x8000) >> 15;
  const e = (h & 0x7c00) >> 10;
  const f = h & 0x03ff;
  const sign = s ? -1 : 1;
  if (e === 0) return sign * 2 ** -14 * (f / 1024);
  if (e === 0x1f) return f ? NaN : sign * Infinity;
  return sign * 2 ** (e - 15) * (1 + f / 1024);
}

/**
 * Parses a safetensors buffer. Throws `SAFETENSORS_INVALID` for a truncated file, a bad header
 * (not JSON, unknown dtype, offsets that overlap, leave gaps or run past the end, a shape whose
 * size disagrees with its byte range).
 * @param source a file name for error messages
 */
export function decodeSafetensors(
  bytes: Uint8Array,
  source?: string,
): { tensors: Record<string, RawTensor>; metadata: Record<string, string> } {
  if (bytes.byteLength < 8) fail(`file is ${bytes.byteLength} bytes, shorter than the 8-byte header length`, source);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n > MAX_HEADER || 8 + n > bytes.byteLength) {
    fail(`header length ${n} does not fit in a file of ${bytes.byteLength} bytes`, source);
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (err) {
    fail(`header is not valid UTF-8 JSON (${(err as Error).message})`, source);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object', source);
  const body = bytes.subarray(8 + n);
  const tensors: Record<string, RawTensor> = {};
  let metadata: Record<string, string> = {};
  const ranges: Array<[number, number, string]> = [];
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      const m = metadataSchema.safeParse(value);
      if (!m.success) fail('__metadata__ must map strings to strings', source);
      metadata = m.data;
      continue;
    }
    const parsed = entrySchema.safeParse(value);
    if (!parsed.success) fail(`tensor '${name}': ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`, source);
    const { dtype, shape, data_offsets: [begin, end] } = parsed.data;
    const count = shape.reduce((a, b) => a * b, 1);
    if (end < begin || end > body.byteLength) fail(`tensor '${name}': data_offsets [${begin}, ${end}] outside the ${body.byteLength}-byte body`, source);
    if (end - begin !== count * BYTES[dtype]) {
      fail(`tensor '${name}': shape [${shape.join(', ')}] of ${dtype} needs ${count * BYTES[dtype]} bytes, offsets give ${end - begin}`, source, { name, shape, dtype });
    }
    ranges.push([begin, end, name]);
    tensors[name] = convert(body.subarray(begin, end), dtype, shape, count, name, source);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  let cursor = 0;
  for (const [begin, end, name] of ranges) {
    if (begin !== cursor) fail(`tensor '${name}' starts at ${begin}, expected ${cursor} (overlap or gap)`, source);
    cursor = end;
  }
  if (cursor !== body.byteLength) fail(`${body.byteLength - cursor} trailing bytes after the last tensor`, source);
  return { tensors, metadata };
}

function convert(raw: Uint8Array, dtype: SafetensorsDtype, shape: number[], count: number, name: string, source?: string): RawTensor {
  // Copy into an aligned buffer: the body offset need not be a multiple of 4.
  const copy = new Uint8Array(raw);
  const dv = new DataView(copy.buffer);
  switch (dtype) {
    case 'F32':
      return { dtype: 'float32', fileDtype: dtype, shape, data: new Float32Array(copy.buffer, 0, count) };
    case 'I32':
      return { dtype: 'int32', fileDtype: dtype, shape, data: new Int32Array(copy.buffer, 0, count) };
    case 'U8':
    case 'BOOL':
      return { dtype: dtype === 'BOOL' ? 'bool' : 'int32', fileDtype: dtype, shape, data: dtype === 'BOOL' ? copy : Int32Array.from(copy) };
    case 'F16':
    case 'BF16': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) {
        const h = dv.getUint16(2 * i, true);
        out[i] = dtype === 'F16' ? f16ToF32(h) : new Float32Array(new Uint32Array([h << 16]).buffer)[0]!;
      }
      return { dtype: 'float32', fileDtype: dtype, shape, data: out };
    }
    case 'F64': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = dv.getFloat64(8 * i, true);
      return { dtype: 'float32', fileDtype: dtype, shape, data: out };
    }
    case 'I64': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const v = dv.getBigInt64(8 * i, true);
        if (v > 2147483647n || v < -2147483648n) fail(`tensor '${name}': I64 value ${v} does not fit in int32`, source);
        out[i] = Number(v);
      }
      return { dtype: 'int32', fileDtype: dtype, shape, data: out };
    }
  }
}

export interface TensorToWrite {
  dtype: 'float32' | 'int32' | 'bool';
  shape: number[];
  data: Float32Array | Int32Array | Uint8Array;
}

/**
 * Serialises tensors to safetensors bytes (float32 → F32, int32 → I32, bool → BOOL), names sorted
 * so the same tensors always give the same bytes. Throws `SHAPE_MISMATCH` when a tensor's data
 * length disagrees with its shape.
 */
export function encodeSafetensors(tensors: Record<string, TensorToWrite>, metadata: Record<string, string> = {}): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header['__metadata__'] = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors[name]!;
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== count) {
      throw new PandaError('SHAPE_MISMATCH', `tensor '${name}': shape [${t.shape.join(', ')}] has ${count} elements, data has ${t.data.length}`);
    }
    const dtype = t.dtype === 'float32' ? 'F32' : t.dtype === 'int32' ? 'I32' : 'BOOL';
    const size = count * BYTES[dtype];
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the body starts 8-byte aligned, as the reference writer does.
  const pad = (8 - ((8 + Buffer.byteLength(json)) % 8)) % 8;
  json += ' '.repeat(pad);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let cursor = 8 + headerBytes.byteLength;
  for (const name of names) {
    const t = tensors[name]!;
    const bytes = t.dtype === 'bool' ? Uint8Array.from(t.data as Uint8Array, (v) => (v ? 1 : 0)) : new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    out.set(bytes, cursor);
    cursor += bytes.byteLength;
  }
  return out;
}
