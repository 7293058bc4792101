/**
 * Parity with the independent PyTorch reference (experiments/hf-reference/make_fixtures.py:
 * Hugging Face's BERT/RoBERTa math in float64 on the same tiny checkpoints): every hidden state,
 * the pooler output and the MLM logits, with no prefix, a P-tuning v2 prefix in both position modes,
 * and a soft prompt.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@panda/runtime';
import { loadHfBackbone, type HfBackbone } from '../load.js';
import type { HfEncoderInput } from './encoder.js';
import { ARCHS, fixtureDir, loadReference, maxAbsDiff, type Arch } from '../testing/fixtures.js';

const TOL = 1e-4;
type Case = 'plain' | 'prefix' | 'prefix_offset' | 'prompt';
const CASES: readonly Case[] = ['plain', 'prefix', 'prefix_offset', 'prompt'];

const backbones: Record<string, HfBackbone> = {};
const refs: Record<string, Awaited<ReturnType<typeof loadReference>>> = {};
/** Printed at the end: the numbers docs/results/backbones.md reports. */
const table: Array<{ arch: Arch; case: Case; hidden: number; last: number; pooled: number; logits: number }> = [];

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  for (const arch of ARCHS) {
    backbones[arch] = await loadHfBackbone(fixtureDir(arch));
    backbones[`${arch}+offset`] = await loadHfBackbone(fixtureDir(arch), { prefixPositionOffset: true });
    refs[arch] = await loadReference(arch);
  }
});

afterAll(() => {
  for (const b of Object.values(backbones)) b.dispose();
  for (const r of Object.values(refs)) tf.dispose(r.tensors);
  if (table.length) {
    console.log('parity (max abs diff vs PyTorch float64 reference)');
    console.table(table.map((r) => ({ ...r, hidden: r.hidden.toExponential(2), last: r.last.toExponential(2), pooled: r.pooled.toExponential(2), logits: r.logits.toExponential(2) })));
  }
});

function inputFor(arch: Arch, c: Case): { backbone: HfBackbone; input: HfEncoderInput } {
  const t = refs[arch]!.tensors;
  const base = { ids: t['input/ids'] as tf.Tensor2D, mask: t['input/mask'] as tf.Tensor2D };
  switch (c) {
    case 'plain':
      return { backbone: backbones[arch]!, input: base };
    case 'prefix':
      return { backbone: backbones[arch]!, input: { ...base, prefix: t['input/prefix'] as tf.Tensor2D } };
    case 'prefix_offset':
      return { backbone: backbones[`${arch}+offset`]!, input: { ...base, prefix: t['input/prefix'] as tf.Tensor2D } };
    case 'prompt':
      return { backbone: backbones[arch]!, input: { ...base, prompt: t['input/prompt'] as tf.Tensor2D } };
  }
}

describe.each(ARCHS)('%s: tfjs vs the PyTorch reference', (arch) => {
  it.each(CASES)('%s: every hidden state, the pooler output and the MLM logits within 1e-4', (c) => {
    const { backbone, input } = inputFor(arch, c);
    const t = refs[arch]!.tensors;
    const out = backbone.encoder.encode(input, { hiddenStates: true });
    const logits = backbone.mlmLogits(input);
    try {
      const refHidden = t[`${c}/hidden_states`]!; // [L+1, B, S, H]
      const got = tf.stack(out.hiddenStates!); // [L+1, B, S, H]
      const row = {
        arch,
        case: c,
        hidden: maxAbsDiff(got, refHidden),
        last: maxAbsDiff(out.lastHidden, tf.tidy(() => tf.squeeze(tf.slice(refHidden, [refHidden.shape[0]! - 1], [1]), [0]))),
        pooled: maxAbsDiff(out.poolerOutput!, t[`${c}/pooled`]!),
        logits: maxAbsDiff(logits, t[`${c}/mlm_logits`]!),
      };
      got.dispose();
      table.push(row);
      expect(out.hiddenStates).toHaveLength(backbone.config.layers + 1);
      expect(row.hidden).toBeLessThanOrEqual(TOL);
      expect(row.last).toBeLessThanOrEqual(TOL);
      expect(row.pooled).toBeLessThanOrEqual(TOL);
      expect(row.logits).toBeLessThanOrEqual(TOL);
    } finally {
      tf.dispose([out.lastHidden, ...(out.hiddenStates ?? []), ...(out.poolerOutput ? [out.poolerOutput] : []), logits]);
    }
  });

  it("the position mode matters: each prefix reference is missed by the other mode's encoder", () => {
    const t = refs[arch]!.tensors;
    const input = { ids: t['input/ids'] as tf.Tensor2D, mask: t['input/mask'] as tf.Tensor2D, prefix: t['input/prefix'] as tf.Tensor2D };
    const plainMode = backbones[arch]!.encoder.encode(input);
    const offsetMode = backbones[`${arch}+offset`]!.encoder.encode(input);
    const last = (c: Case) => tf.tidy(() => tf.squeeze(tf.slice(t[`${c}/hidden_states`]!, [backbones[arch]!.config.layers], [1]), [0]));
    const [refPlain, refOffset] = [last('prefix'), last('prefix_offset')];
    expect(maxAbsDiff(plainMode.lastHidden, refOffset)).toBeGreaterThan(0.01);
    expect(maxAbsDiff(offsetMode.lastHidden, refPlain)).toBeGreaterThan(0.01);
    expect(backbones[arch]!.encoder.prefixLayout.takesPositions).toBe(false);
    expect(backbones[`${arch}+offset`]!.encoder.prefixLayout.takesPositions).toBe(true);
    tf.dispose([refPlain, refOffset, ...[plainMode, offsetMode].flatMap((o) => [o.lastHidden, o.poolerOutput!])]);
  });

  it('MLM logits at chosen positions equal the full logits there', () => {
    const { backbone, input } = inputFor(arch, 'prefix');
    const all = backbone.mlmLogits(input) as tf.Tensor3D; // [B, S, V]
    const at = backbone.mlmLogits(input, { positions: [1, 2, 0] }) as tf.Tensor2D; // [B, V]
    const want = tf.tidy(() => tf.stack([1, 2, 0].map((p, i) => tf.squeeze(tf.slice(all, [i, p, 0], [1, 1, -1]), [0, 1]))));
    expect(maxAbsDiff(at, want)).toBeLessThanOrEqual(1e-6);
    tf.dispose([all, at, want]);
  });

  it('forward(): embedding is the pooler output, pooled the mean over real tokens', () => {
    const { backbone, input } = inputFor(arch, 'plain');
    const t = refs[arch]!.tensors;
    const { pooled, embedding } = backbone.encoder.forward(input);
    const want = tf.tidy(() => {
      const h = tf.squeeze(tf.slice(t['plain/hidden_states']!, [backbone.config.layers], [1]), [0]) as tf.Tensor3D; // [B, T, H]
      const m = tf.expandDims(input.mask, 2);
      return tf.div(tf.sum(tf.mul(h, m), 1), tf.sum(m, 1));
    });
    expect(maxAbsDiff(embedding, t['plain/pooled']!)).toBeLessThanOrEqual(TOL);
    expect(maxAbsDiff(pooled, want)).toBeLessThanOrEqual(TOL);
    tf.dispose([pooled, embedding, want]);
  });

  it('a zero prefix whose positions are masked reproduces the plain model; a real prefix changes it', () => {
    const { backbone, input } = inputFor(arch, 'plain');
    const t = refs[arch]!.tensors;
    const [b] = input.ids.shape;
    const width = 2 * backbone.config.layers * backbone.config.hidden;
    const zero = tf.zeros([4, width]) as tf.Tensor2D;
    const off = tf.zeros([b, 4]) as tf.Tensor2D;
    const plain = backbone.encoder.encode(input);
    const masked = backbone.encoder.encode({ ...input, prefix: zero, prefixMask: off });
    const withPrefix = backbone.encoder.encode({ ...input, prefix: t['input/prefix'] as tf.Tensor2D });
    expect(maxAbsDiff(masked.lastHidden, plain.lastHidden)).toBeLessThanOrEqual(1e-6);
    expect(maxAbsDiff(masked.poolerOutput!, plain.poolerOutput!)).toBeLessThanOrEqual(1e-6);
    expect(maxAbsDiff(withPrefix.lastHidden, plain.lastHidden)).toBeGreaterThan(0.05);
    tf.dispose([zero, off, ...[plain, masked, withPrefix].flatMap((o) => [o.lastHidden, o.poolerOutput!])]);
  });

  it('a per-example prefix [B, m, W] equals the shared table; a prefix mask drops rows', () => {
    const { backbone, input } = inputFor(arch, 'prefix');
    const table3 = input.prefix as tf.Tensor2D; // [m, W]
    const [b] = input.ids.shape;
    const stacked = tf.stack(new Array(b).fill(table3)) as tf.Tensor3D;
    const shared = backbone.encoder.forward(input);
    const per = backbone.encoder.forward({ ...input, prefix: stacked });
    expect(maxAbsDiff(per.embedding, shared.embedding)).toBeLessThanOrEqual(1e-6);
    // Masking the last prefix row equals using the first two rows only.
    const m = table3.shape[0];
    const pm = tf.concat([tf.ones([b, m - 1]), tf.zeros([b, 1])], 1) as tf.Tensor2D;
    const first = tf.slice(table3, [0, 0], [m - 1, -1]) as tf.Tensor2D;
    const masked = backbone.encoder.forward({ ...input, prefixMask: pm });
    const shorter = backbone.encoder.forward({ ...input, prefix: first });
    expect(maxAbsDiff(masked.embedding, shorter.embedding)).toBeLessThanOrEqual(1e-6);
    tf.dispose([stacked, pm, first, ...[shared, per, masked, shorter].flatMap((o) => [o.pooled, o.embedding])]);
  });

  it('gradients reach the prompt and the prefix, not the weights; nothing leaks', () => {
    const { backbone, input } = inputFor(arch, 'prefix');
    const t = refs[arch]!.tensors;
    const before = tf.memory().numTensors;
    const wordBefore = backbone.encoder.weights.wordEmbeddings.dataSync().slice();
    const prefix = tf.tidy(() => tf.variable(t['input/prefix']!.clone(), true)) as tf.Variable<tf.Rank.R2>;
    const prompt = tf.tidy(() => tf.variable(t['input/prompt']!.clone(), true)) as tf.Variable<tf.Rank.R2>;
    const { grads, value } = tf.variableGrads(() => tf.sum(tf.square(backbone.encoder.forward({ ...input, prefix, prompt }).embedding)) as tf.Scalar, [prefix, prompt]);
    const norms = Object.values(grads).map((g) => tf.tidy(() => tf.norm(g).dataSync()[0]!));
    expect(norms).toHaveLength(2);
    for (const n of norms) expect(n).toBeGreaterThan(1e-4);
    expect(Array.from(backbone.encoder.weights.wordEmbeddings.dataSync())).toEqual(Array.from(wordBefore));
    tf.dispose([value, ...Object.values(grads), prefix, prompt]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses inputs that do not fit: wrong prefix width, too many positions', () => {
    const { backbone, input } = inputFor(arch, 'plain');
    const bad = tf.zeros([2, 10]) as tf.Tensor2D;
    expect(() => backbone.encoder.forward({ ...input, prefix: bad })).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
    const long = tf.zeros([1, backbone.encoder.maxPositions + 1], 'int32') as tf.Tensor2D;
    const longMask = tf.ones([1, backbone.encoder.maxPositions + 1]) as tf.Tensor2D;
    expect(() => backbone.encoder.forward({ ids: long, mask: longMask })).toThrow(expect.objectContaining({ code: 'PROMPT_TOO_LONG' }));
    // With the offset, a prefix of m rows takes m positions.
    const fits = tf.slice(long, [0, 0], [1, backbone.encoder.maxPositions - 2]) as tf.Tensor2D;
    const fitsMask = tf.ones(fits.shape) as tf.Tensor2D;
    const prefix = tf.zeros([3, 2 * backbone.config.layers * backbone.config.hidden]) as tf.Tensor2D;
    expect(() => backbones[`${arch}+offset`]!.encoder.forward({ ids: fits, mask: fitsMask, prefix })).toThrow(expect.objectContaining({ code: 'PROMPT_TOO_LONG' }));
    const ok = backbone.encoder.forward({ ids: fits, mask: fitsMask, prefix });
    tf.dispose([bad, long, longMask, fits, fitsMask, prefix, ok.pooled, ok.embedding]);
  });
});
