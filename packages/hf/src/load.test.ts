/**
 * Bad input: broken copies of the fixture checkpoints (made here, in a temp dir) each fail with
 * their own typed error before any tensor is allocated.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { isPandaError } from '@panda/core';
import { decodeSafetensors, encodeSafetensors, initBackend, type TensorToWrite } from '@panda/runtime';
import { copyFixture, fixtureDir, loadReference, maxAbsDiff, type Arch } from './testing/fixtures.js';
import { loadHfBackbone } from './load.js';

const dirs: string[] = [];
const table: Array<{ case: string; code: string; message: string }> = [];

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});
afterAll(async () => {
  for (const d of dirs) await rm(join(d, '..'), { recursive: true, force: true });
  if (table.length) {
    console.log('bad input → typed error');
    for (const r of table) console.log(`| ${r.case} | ${r.code} | ${r.message.replaceAll('|', '\\|')} |`);
  }
});

async function copy(arch: Arch = 'bert'): Promise<string> {
  const d = await copyFixture(arch);
  dirs.push(d);
  return d;
}

type RawMap = Record<string, TensorToWrite>;
async function readWeights(dir: string): Promise<RawMap> {
  const raw = decodeSafetensors(await readFile(join(dir, 'model.safetensors'))).tensors;
  return Object.fromEntries(Object.entries(raw).map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, data: t.data }]));
}
async function writeWeights(dir: string, w: RawMap): Promise<void> {
  await writeFile(join(dir, 'model.safetensors'), encodeSafetensors(w));
}
async function editJson(path: string, edit: (j: Record<string, unknown>) => void): Promise<void> {
  const j = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  edit(j);
  await writeFile(path, JSON.stringify(j));
}

/** Loads `dir`, expects a PandaError with `code`, records it for the docs table. */
async function expectCode(label: string, dir: string, code: string, mentions?: string): Promise<void> {
  const before = tf.memory().numTensors;
  let caught: unknown;
  try {
    (await loadHfBackbone(dir)).dispose();
  } catch (err) {
    caught = err;
  }
  expect(isPandaError(caught), `${label}: ${String(caught)}`).toBe(true);
  const e = caught as { code: string; message: string };
  expect(e.code, e.message).toBe(code);
  if (mentions) expect(e.message).toContain(mentions);
  expect(tf.memory().numTensors).toBe(before);
  table.push({ case: label, code: e.code, message: e.message.replace(dir, '<dir>') });
}

describe('loadHfBackbone: bad checkpoints give typed errors', () => {
  it('a missing tensor → SAFETENSORS_INVALID naming it', async () => {
    const dir = await copy();
    const w = await readWeights(dir);
    delete w['bert.encoder.layer.1.attention.self.key.weight'];
    await writeWeights(dir, w);
    await expectCode('missing tensor', dir, 'SAFETENSORS_INVALID', "'bert.encoder.layer.1.attention.self.key.weight'");
  });

  it('a tensor of the wrong shape → SHAPE_MISMATCH', async () => {
    const dir = await copy('roberta');
    const w = await readWeights(dir);
    const name = 'roberta.encoder.layer.0.intermediate.dense.weight';
    w[name] = { dtype: 'float32', shape: [48, 32], data: new Float32Array(48 * 32) };
    await writeWeights(dir, w);
    await expectCode('wrong shape', dir, 'SHAPE_MISMATCH', name);
  });

  it('more layers in the file than the config → SHAPE_MISMATCH', async () => {
    const dir = await copy();
    await editJson(join(dir, 'config.json'), (j) => void (j['num_hidden_layers'] = 1));
    await expectCode('extra layer in the file', dir, 'SHAPE_MISMATCH', 'num_hidden_layers');
  });

  it('integer weights → DTYPE_MISMATCH', async () => {
    const dir = await copy();
    const w = await readWeights(dir);
    const name = 'bert.embeddings.LayerNorm.weight';
    w[name] = { dtype: 'int32', shape: [32], data: new Int32Array(32).fill(1) };
    await writeWeights(dir, w);
    await expectCode('integer (I32) weight', dir, 'DTYPE_MISMATCH', name);
  });

  it('another model family, architecture class or position embedding → ARCHITECTURE_UNSUPPORTED', async () => {
    const gpt = await copy();
    await editJson(join(gpt, 'config.json'), (j) => {
      j['model_type'] = 'gpt2';
      j['architectures'] = ['GPT2LMHeadModel'];
    });
    await expectCode('unsupported architecture (gpt2)', gpt, 'ARCHITECTURE_UNSUPPORTED', 'gpt2');
    const cls = await copy();
    await editJson(join(cls, 'config.json'), (j) => void (j['architectures'] = ['BertLMHeadModel']));
    await expectCode('unsupported architecture class', cls, 'ARCHITECTURE_UNSUPPORTED', 'BertLMHeadModel');
    const rel = await copy('roberta');
    await editJson(join(rel, 'config.json'), (j) => void (j['position_embedding_type'] = 'relative_key'));
    await expectCode('relative position embeddings', rel, 'ARCHITECTURE_UNSUPPORTED', 'relative_key');
  });

  it('a tokenizer whose vocabulary does not match vocab_size → TOKENIZER_MISMATCH', async () => {
    const dir = await copy();
    await editJson(join(dir, 'tokenizer.json'), (j) => {
      const vocab = (j['model'] as { vocab: Record<string, number> }).vocab;
      const n = Object.keys(vocab).length;
      for (let i = 0; i < 3; i++) vocab[`extra${i}`] = n + i;
    });
    await expectCode('tokenizer vocabulary ≠ vocab_size', dir, 'TOKENIZER_MISMATCH', '132');
  });

  it('missing files and invalid configs', async () => {
    const noWeights = await copy();
    await rm(join(noWeights, 'model.safetensors'));
    await expectCode('no model.safetensors', noWeights, 'MODEL_NOT_FOUND', 'model.safetensors');
    const noConfig = await copy();
    await rm(join(noConfig, 'config.json'));
    await expectCode('no config.json', noConfig, 'MODEL_NOT_FOUND', 'config.json');
    const heads = await copy();
    await editJson(join(heads, 'config.json'), (j) => void (j['num_attention_heads'] = 5));
    await expectCode('hidden size not divisible by heads', heads, 'CONFIG_INVALID', 'num_attention_heads');
    const truncated = await copy();
    const bytes = await readFile(join(truncated, 'model.safetensors'));
    await writeFile(join(truncated, 'model.safetensors'), bytes.subarray(0, bytes.length - 100));
    await expectCode('truncated model.safetensors', truncated, 'SAFETENSORS_INVALID');
  });
});

describe('loadHfBackbone: checkpoints it accepts', () => {
  it('a BertModel checkpoint (no "bert." prefix, no MLM head) loads; mlmLogits says there is no head', async () => {
    const dir = await copy();
    const w = await readWeights(dir);
    const bare: RawMap = {};
    for (const [k, t] of Object.entries(w)) if (k.startsWith('bert.')) bare[k.slice(5)] = t;
    await writeWeights(dir, bare);
    await editJson(join(dir, 'config.json'), (j) => void (j['architectures'] = ['BertModel']));
    const b = await loadHfBackbone(dir);
    const ref = await loadReference('bert');
    try {
      expect(b.encoder.hasMlmHead).toBe(false);
      const input = { ids: ref.tensors['input/ids'] as tf.Tensor2D, mask: ref.tensors['input/mask'] as tf.Tensor2D };
      const out = b.encoder.forward(input);
      expect(maxAbsDiff(out.embedding, ref.tensors['plain/pooled']!)).toBeLessThanOrEqual(1e-4);
      tf.dispose([out.pooled, out.embedding]);
      expect(() => b.mlmLogits(input)).toThrow(expect.objectContaining({ code: 'MODEL_NOT_FOUND' }));
    } finally {
      b.dispose();
      tf.dispose(ref.tensors);
    }
  });

  it('an untied decoder weight and the legacy gamma/beta names load; unused tensors are listed', async () => {
    const dir = await copy();
    const w = await readWeights(dir);
    const word = w['bert.embeddings.word_embeddings.weight']!;
    w['cls.predictions.decoder.weight'] = { ...word, data: (word.data as Float32Array).map((x) => 2 * x) };
    w['bert.embeddings.LayerNorm.gamma'] = w['bert.embeddings.LayerNorm.weight']!;
    w['bert.embeddings.LayerNorm.beta'] = w['bert.embeddings.LayerNorm.bias']!;
    delete w['bert.embeddings.LayerNorm.weight'];
    delete w['bert.embeddings.LayerNorm.bias'];
    w['cls.seq_relationship.weight'] = { dtype: 'float32', shape: [2, 32], data: new Float32Array(64) };
    await writeWeights(dir, w);
    const b = await loadHfBackbone(dir);
    try {
      expect(b.unusedTensors).toEqual(['cls.seq_relationship.weight']);
      const decoder = b.encoder.weights.mlm!.decoderT; // [H, V]
      const want = tf.tidy(() => tf.mul(tf.transpose(b.encoder.weights.wordEmbeddings), 2));
      expect(maxAbsDiff(decoder, want)).toBe(0);
      want.dispose();
    } finally {
      b.dispose();
    }
  });

  it('a config vocab_size padded beyond the tokenizer needs allowPaddedVocab', async () => {
    const dir = await copy();
    const w = await readWeights(dir);
    const pad = (name: string, rows: number) => {
      const t = w[name]!;
      const data = new Float32Array((t.shape[0]! + rows) * (t.shape[1] ?? 1));
      data.set(t.data as Float32Array);
      w[name] = { dtype: 'float32', shape: t.shape.length === 2 ? [t.shape[0]! + rows, t.shape[1]!] : [t.shape[0]! + rows], data };
    };
    pad('bert.embeddings.word_embeddings.weight', 7);
    pad('cls.predictions.bias', 7);
    await writeWeights(dir, w);
    await editJson(join(dir, 'config.json'), (j) => void (j['vocab_size'] = 136));
    await expectCode('config vocab_size > tokenizer (padded table)', dir, 'TOKENIZER_MISMATCH', 'allowPaddedVocab');
    const b = await loadHfBackbone(dir, { allowPaddedVocab: true });
    expect(b.config.vocabSize).toBe(136);
    expect(b.tokenizer.vocabSize).toBe(129);
    expect(Math.max(...b.sampleIds)).toBeLessThan(129);
    b.dispose();
  });

  it('F16 weights load (widened to float32) and stay close to the F32 model', async () => {
    const dir = await copy();
    const w = await readWeights(dir);
    await writeFile(join(dir, 'model.safetensors'), encodeF16(w));
    const b = await loadHfBackbone(dir);
    const ref = await loadReference('bert');
    try {
      expect(b.encoder.weights.fileDtype).toBe('F16');
      const out = b.encoder.encode({ ids: ref.tensors['input/ids'] as tf.Tensor2D, mask: ref.tensors['input/mask'] as tf.Tensor2D });
      const last = tf.tidy(() => tf.squeeze(tf.slice(ref.tensors['plain/hidden_states']!, [2], [1]), [0]));
      const d = maxAbsDiff(out.lastHidden, last);
      expect(d).toBeGreaterThan(0); // F16 rounding is visible …
      expect(d).toBeLessThan(0.05); // … and small
      tf.dispose([out.lastHidden, out.poolerOutput!, last]);
    } finally {
      b.dispose();
      tf.dispose(ref.tensors);
    }
  });

  it('describes itself: id, hash, sample ids without special tokens, token input table', async () => {
    const b = await loadHfBackbone(fixtureDir('roberta'));
    try {
      expect(b.id).toBe('hf:roberta:tiny-roberta');
      expect(b.weightsHash).toMatch(/^[0-9a-f]{64}$/);
      expect(b.sampleIds).not.toContain(b.tokenizer.padId);
      expect(b.sampleIds).not.toContain(b.tokenizer.maskId);
      expect(b.sampleIds).toHaveLength(b.tokenizer.vocabSize - 5);
      const table = b.tokenInputTable();
      expect(table.shape).toEqual([b.config.vocabSize, b.config.hidden]);
      table.dispose();
      expect(b.encoder.maxPositions).toBe(64); // 66 − padding_idx 1 − 1
      expect(b.encoder.prefixLayout).toEqual({ widths: [32, 32], numHeads: 4, takesPositions: false });
    } finally {
      b.dispose();
    }
  });
});

/** A safetensors file with every float32 tensor stored as F16 (round to nearest even). */
function encodeF16(w: RawMap): Uint8Array {
  const names = Object.keys(w).sort();
  const header: Record<string, unknown> = {};
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    const data = w[name]!.data as Float32Array;
    const bytes = new Uint8Array(data.length * 2);
    const view = new DataView(bytes.buffer);
    data.forEach((x, i) => view.setUint16(2 * i, toHalf(x), true));
    header[name] = { dtype: 'F16', shape: w[name]!.shape, data_offsets: [offset, offset + bytes.length] };
    parts.push(bytes);
    offset += bytes.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function toHalf(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0]!;
  const sign = (u >>> 16) & 0x8000;
  const exp = ((u >>> 23) & 0xff) - 127 + 15;
  let mant = u & 0x7fffff;
  if (exp <= 0) {
    if (exp < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - exp;
    const half = mant >> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rest > mid || (rest === mid && half & 1) ? 1 : 0));
  }
  if (exp >= 31) return sign | 0x7c00;
  const half = (exp << 10) | (mant >> 13);
  const rest = mant & 0x1fff;
  return sign | (half + (rest > 0x1000 || (rest === 0x1000 && half & 1) ? 1 : 0));
}
