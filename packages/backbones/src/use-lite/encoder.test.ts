import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import { initBackend } from '@panda/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UseLiteEncoder } from './encoder.js';
import { loadUseLiteGraphModel } from './graphModel.js';
import { collectTensors, useLiteModelDir } from './weights.js';

/**
 * Token ids from the independent tokenizer of `@energetic-ai/embeddings` (the package the model
 * ships for). It is run in a child process: its package bundles its own tfjs 4.5 and would register
 * a second set of kernels into this process's global tfjs registry.
 */
function tokenizeWithEnergetic(texts: string[]): number[][] {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('@energetic-ai/embeddings');
  const vocab = join(useLiteModelDir(), 'vocab.json');
  const script = `
    const fs = require('fs');
    const { EmbeddingsModel } = require(${JSON.stringify(pkg)});
    const vocabulary = JSON.parse(fs.readFileSync(${JSON.stringify(vocab)}, 'utf8'));
    const tok = new EmbeddingsModel({ vocabulary, model: null }).tokenizer;
    const texts = JSON.parse(fs.readFileSync(0, 'utf8'));
    process.stdout.write(JSON.stringify(texts.map((t) => tok.encode(t))));`;
  const out = execFileSync(process.execPath, ['-e', script], { input: JSON.stringify(texts), encoding: 'utf8' });
  return JSON.parse(out) as number[][];
}

const EMBEDDING_NODE = 'module_apply_default/Encoder_en/hidden_layers/l2_normalize';
const POOLED_NODE = 'module_apply_default/Encoder_en/KonaTransformer/div';

/** Feeds the graph exactly as `EmbeddingsModel.embed` does: sparse [row, col] indices + int32 values. */
async function runGraph(gm: GraphModel, rows: number[][]): Promise<{ embedding: number[][]; pooled: number[][] }> {
  const idx: number[] = [];
  const vals: number[] = [];
  rows.forEach((r, i) =>
    r.forEach((id, j) => {
      idx.push(i, j);
      vals.push(id);
    }),
  );
  const indices = tf.tensor2d(idx, [vals.length, 2], 'int32');
  const values = tf.tensor1d(vals, 'int32');
  const [emb, pooled] = (await gm.executeAsync({ indices, values }, [EMBEDDING_NODE, POOLED_NODE])) as tf.Tensor[];
  const res = { embedding: (await emb!.array()) as number[][], pooled: (await pooled!.array()) as number[][] };
  tf.dispose([indices, values, emb!, pooled!]);
  return res;
}

/** ids int32 [B, width] padded with 0, mask float32 [B, width]. */
function batchOf(rows: number[][], width = Math.max(0, ...rows.map((r) => r.length))) {
  const ids = new Int32Array(rows.length * width);
  const mask = new Float32Array(rows.length * width);
  rows.forEach((r, i) =>
    r.slice(0, width).forEach((id, j) => {
      ids[i * width + j] = id;
      mask[i * width + j] = 1;
    }),
  );
  return {
    ids: tf.tensor2d(ids, [rows.length, width], 'int32'),
    mask: tf.tensor2d(mask, [rows.length, width], 'float32'),
  };
}

function maxAbsDiff(a: number[][], b: number[][]): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  a.forEach((row, i) => row.forEach((v, j) => (m = Math.max(m, Math.abs(v - b[i]![j]!)))));
  return m;
}

function ours(enc: UseLiteEncoder, rows: number[][], width?: number, prompt?: tf.Tensor2D) {
  const { ids, mask } = batchOf(rows, width);
  const out = enc.forward({ ids, mask, ...(prompt ? { prompt } : {}) });
  const res = { embedding: out.embedding.arraySync(), pooled: out.pooled.arraySync() };
  tf.dispose([ids, mask, out.embedding, out.pooled]);
  return res;
}

const LONG = Array.from(
  { length: 12 },
  (_, i) =>
    `Sentence number ${i + 1} of a deliberately long paragraph, written so that the tokenizer emits well beyond one hundred and twenty-eight pieces.`,
).join(' ');

// The empty string comes first: the shipped graph infers its batch size from the last non-empty
// row, so trailing empty rows vanish from its output (and an all-empty batch fails).
const SENTENCES = [
  '',
  'Hello',
  '!!!???...',
  LONG,
  'Café crème brûlée à la française, naïve façade.',
  '日本語のテキストです。中文句子也在这里。',
  'I love this 😀🎉👍',
  'Привет, как дела? Всё хорошо.',
  'In 2024 there were 366 days; pi ≈ 3.14159 and 1,000,000 > 999.',
  'MiXeD CaSe WoRdS iN a SeNtEnCe',
  'multiple     spaces   between    words',
  'The quick brown fox jumps over the lazy dog.',
  'A man is playing a guitar on stage.',
  'What is the capital of France?',
  '   leading and trailing spaces   ',
  'tab\tand\nnewline',
  'Ελληνικά και العربية و עברית',
  'e-mail: test@example.com, url: https://example.org/path?q=1&r=2',
  'Don’t stop believin’ — it’s “quoted” text…',
  'a',
  'The movie was not good at all; I would never watch it again.',
  'supercalifragilisticexpialidocious',
  '#hashtag @mention $100 50% off!!!',
  '   ',
];

describe('UseLiteEncoder', () => {
  let enc: UseLiteEncoder;
  let gm: GraphModel;
  let tokens: number[][];

  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
    [enc, gm] = await Promise.all([UseLiteEncoder.load(), loadUseLiteGraphModel()]);
    tokens = tokenizeWithEnergetic(SENTENCES);
  });

  afterAll(() => {
    enc?.dispose();
    gm?.dispose();
  });

  it('has the documented shape constants and test inputs of the intended kinds', () => {
    expect(enc.hidden).toBe(512);
    expect(enc.embedDim).toBe(256);
    expect(enc.maxPositions).toBe(128);
    expect(enc.vocabSize).toBe(8002);
    expect(enc.numLayers).toBe(2);
    expect(enc.numHeads).toBe(4);
    expect(enc.weights.embeddings.shape).toEqual([8002, 256]);
    expect(tokens[0]).toEqual([]);
    expect(tokens[3]!.length).toBeGreaterThan(128);
    expect(SENTENCES.length).toBeGreaterThanOrEqual(20);
  });

  it('matches the shipped GraphModel on a padded batch (embedding and pooled)', async () => {
    const ref = await runGraph(gm, tokens);
    expect(ref.embedding.length).toBe(SENTENCES.length);
    const width = Math.max(...tokens.map((t) => t.length)); // > 128: the encoder clips like the graph
    const got = ours(enc, tokens, width);
    const dEmb = maxAbsDiff(got.embedding, ref.embedding);
    const dPool = maxAbsDiff(got.pooled, ref.pooled);
    // Extra padding beyond the longest row changes nothing either.
    const short = tokens.filter((t) => t.length <= 100);
    const refShort = await runGraph(gm, short);
    const dPad = maxAbsDiff(ours(enc, short, 110).embedding, refShort.embedding);
    console.log(
      `USE-Lite parity, batch of ${tokens.length} (width ${width}): max |Δembedding| = ${dEmb.toExponential(2)}, ` +
        `max |Δpooled| = ${dPool.toExponential(2)}; over-padded batch: ${dPad.toExponential(2)}`,
    );
    expect(dEmb).toBeLessThanOrEqual(1e-5);
    expect(dPool).toBeLessThanOrEqual(1e-5);
    expect(dPad).toBeLessThanOrEqual(1e-5);
  });

  it('matches the shipped GraphModel one sentence at a time', async () => {
    const batchRef = await runGraph(gm, tokens);
    let worst = 0;
    for (let i = 0; i < tokens.length; i++) {
      const row = tokens[i]!;
      // The graph cannot take an empty batch (its sparse shape becomes empty): compare the empty
      // string with the graph's row for it inside a batch instead.
      const ref = row.length === 0 ? [batchRef.embedding[i]!] : (await runGraph(gm, [row])).embedding;
      const got = ours(enc, [row]).embedding;
      worst = Math.max(worst, maxAbsDiff(got, ref));
    }
    console.log(`USE-Lite parity, ${tokens.length} sentences one at a time: max |Δembedding| = ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(1e-5);
  });

  it('embeds tokens as 2·E[ids] + timing signal, and maps an all-empty batch to the empty-string embedding', () => {
    const ids = tf.tensor2d([[341, 4125, 311]], [1, 3], 'int32');
    const x = enc.embedTokens(ids);
    expect(x.shape).toEqual([1, 3, 256]);
    const e = tf.tidy(() => tf.gather(enc.weights.embeddings, [341, 4125, 311]).arraySync()) as number[][];
    const xv = x.arraySync()[0]!;
    // Position 0: sin(0) = 0 for the first 128 channels, cos(0) = 1 for the last 128.
    expect(Math.abs(xv[0]![5]! - 2 * e[0]![5]!)).toBeLessThan(1e-6);
    expect(Math.abs(xv[0]![200]! - (2 * e[0]![200]! + 1))).toBeLessThan(1e-6);
    tf.dispose([ids, x]);

    const empty = ours(enc, [[], []], 0).embedding;
    const emptyRef = ours(enc, [[]], 5).embedding;
    expect(maxAbsDiff(empty, [emptyRef[0]!, emptyRef[0]!])).toBeLessThan(1e-7);
  });

  it('a soft prompt changes the output, m = 0 does not, and padding stays invisible with a prompt', () => {
    const rows = tokens.slice(1, 6).map((t) => t.slice(0, 100));
    const base = ours(enc, rows);
    const prompt = tf.randomNormal([8, 256], 0, 1, 'float32', 7) as tf.Tensor2D;
    const prompted = ours(enc, rows, undefined, prompt);
    expect(maxAbsDiff(prompted.embedding, base.embedding)).toBeGreaterThan(1e-3);
    const empty = tf.zeros([0, 256]) as tf.Tensor2D;
    expect(maxAbsDiff(ours(enc, rows, undefined, empty).embedding, base.embedding)).toBe(0);
    // Each row with the prompt, alone, equals its row in the padded batch.
    let worst = 0;
    rows.forEach((r, i) => {
      worst = Math.max(worst, maxAbsDiff(ours(enc, [r], undefined, prompt).embedding, [prompted.embedding[i]!]));
    });
    expect(worst).toBeLessThanOrEqual(1e-5);
    tf.dispose([prompt, empty]);
  });

  it('sends gradients to the prompt only; the weights are plain tensors', () => {
    for (const t of collectTensors(enc.weights)) expect(t instanceof tf.Variable).toBe(false);
    const { ids, mask } = batchOf(tokens.slice(4, 8));
    const init = tf.randomNormal([4, 256], 0, 0.5, 'float32', 3) as tf.Tensor2D;
    const prompt = tf.variable(init, true, 'use_lite_test_prompt');
    const { value, grads } = tf.variableGrads(() => {
      const { pooled, embedding } = enc.forward({ ids, mask, prompt });
      return tf.add(tf.sum(pooled), tf.sum(embedding)) as tf.Scalar;
    });
    // Only the prompt is a trainable variable on the path: nothing else gets a gradient.
    expect(Object.keys(grads)).toEqual(['use_lite_test_prompt']);
    const g = grads['use_lite_test_prompt']!;
    expect(g.shape).toEqual([4, 256]);
    const gv = g.dataSync();
    expect(gv.every((v) => Number.isFinite(v))).toBe(true);
    expect(gv.some((v) => v !== 0)).toBe(true);

    // tf.grad of sum(pooled) w.r.t. a plain prompt tensor as well.
    const p = prompt.clone() as tf.Tensor2D;
    const dp = tf.grad((pp: tf.Tensor) => tf.sum(enc.forward({ ids, mask, prompt: pp as tf.Tensor2D }).pooled))(p);
    const dv = dp.dataSync();
    expect(dv.every((v) => Number.isFinite(v)) && dv.some((v) => v !== 0)).toBe(true);
    tf.dispose([value, g, ids, mask, init, prompt, p, dp]);
  });

  it('has a prompt gradient that agrees with a finite difference', () => {
    const { ids, mask } = batchOf(tokens.slice(11, 14));
    const p0 = tf.randomNormal([3, 256], 0, 0.5, 'float32', 11) as tf.Tensor2D;
    const dir = tf.randomNormal([3, 256], 0, 1, 'float32', 12) as tf.Tensor2D;
    const f = (p: tf.Tensor) => tf.sum(enc.forward({ ids, mask, prompt: p as tf.Tensor2D }).pooled) as tf.Scalar;
    const eps = 2e-3; // float32: smaller steps drown in rounding, larger ones in curvature
    const [analytic, numeric] = tf.tidy(() => {
      const g = tf.grad(f)(p0);
      const a = tf.sum(tf.mul(g, dir)).dataSync()[0]!;
      const up = f(tf.add(p0, tf.mul(dir, eps))).dataSync()[0]!;
      const down = f(tf.sub(p0, tf.mul(dir, eps))).dataSync()[0]!;
      return [a, (up - down) / (2 * eps)];
    });
    expect(Math.abs(analytic - numeric)).toBeLessThanOrEqual(1e-2 * Math.max(1, Math.abs(analytic)));
    tf.dispose([ids, mask, p0, dir]);
  });

  it('the optimised prompt path equals the full computation on [prompt ‖ tokens] (outputs and prompt gradient)', () => {
    // Reference: the straightforward way, every position of [prompt ‖ tokens] through both layers
    // (encodeSequence), then the token rows pooled. forward() skips the prompt rows' last-layer
    // outputs and computes the prompt's layer-0 projections once per batch instead.
    const reference = (ids: tf.Tensor2D, mask: tf.Tensor2D, p: tf.Tensor2D) =>
      tf.tidy(() => {
        const [b, t] = ids.shape;
        const m = p.shape[0];
        const rows = tf.tile(tf.expandDims(p, 0), [b, 1, 1]); // [B, m, 256]
        const x = tf.concat([rows, enc.embedTokens(ids)], 1) as tf.Tensor3D; // [B, m+T, 256]
        const attnMask = tf.concat([tf.ones([b, m]), mask], 1) as tf.Tensor2D; // [B, m+T]
        const h = enc.encodeSequence(x, attnMask); // [B, m+T, 512]
        const pooled = enc.pool(tf.slice(h, [0, m, 0], [b, t, enc.hidden]), mask); // [B, 512]
        return { pooled, embedding: enc.head(pooled) };
      });
    const cases = [
      { rows: tokens.slice(1, 10).map((r) => r.slice(0, 40)), m: 5 }, // padded batch, varied lengths
      { rows: [tokens[12]!.slice(0, 1)], m: 1 }, // one row, one token, one prompt row
      { rows: tokens.slice(10, 13), m: 16 },
    ];
    const before = tf.memory().numTensors;
    let worstOut = 0;
    let worstGrad = 0;
    cases.forEach(({ rows, m }, i) => {
      const { ids, mask } = batchOf(rows);
      const p0 = tf.randomNormal([m, 256], 0, 0.5, 'float32', 20 + i) as tf.Tensor2D;
      const wPool = tf.randomNormal([rows.length, 512], 0, 1, 'float32', 30 + i);
      const wEmb = tf.randomNormal([rows.length, 512], 0, 1, 'float32', 40 + i);
      const lossOf = (o: { pooled: tf.Tensor2D; embedding: tf.Tensor2D }) =>
        tf.add(tf.sum(tf.mul(o.pooled, wPool)), tf.sum(tf.mul(o.embedding, wEmb))) as tf.Scalar;
      tf.tidy(() => {
        const got = enc.forward({ ids, mask, prompt: p0 });
        const ref = reference(ids, mask, p0);
        const dOut = Math.max(
          tf.max(tf.abs(tf.sub(got.pooled, ref.pooled))).dataSync()[0]!,
          tf.max(tf.abs(tf.sub(got.embedding, ref.embedding))).dataSync()[0]!,
        );
        const gGot = tf.grad((p: tf.Tensor) => lossOf(enc.forward({ ids, mask, prompt: p as tf.Tensor2D })))(p0);
        const gRef = tf.grad((p: tf.Tensor) => lossOf(reference(ids, mask, p as tf.Tensor2D)))(p0);
        const scale = Math.max(1e-12, tf.max(tf.abs(gRef)).dataSync()[0]!);
        const dGrad = tf.max(tf.abs(tf.sub(gGot, gRef))).dataSync()[0]! / scale;
        expect(tf.sum(tf.abs(gRef)).dataSync()[0]!).toBeGreaterThan(0);
        worstOut = Math.max(worstOut, dOut);
        worstGrad = Math.max(worstGrad, dGrad);
      });
      tf.dispose([ids, mask, p0, wPool, wEmb]);
    });
    console.log(
      `USE-Lite prompt path vs full reference: max |Δoutput| = ${worstOut.toExponential(2)}, ` +
        `max |Δ∂prompt| / max |∂prompt| = ${worstGrad.toExponential(2)}`,
    );
    // The token rows go through the same float ops (0 on wasm); the gradient sums the same terms
    // in another order (the prompt's projections run once on the batch-summed gradient).
    expect(worstOut).toBeLessThanOrEqual(1e-6);
    expect(worstGrad).toBeLessThanOrEqual(1e-5);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('leaks no tensor in forward or in a gradient step', () => {
    const { ids, mask } = batchOf(tokens.slice(4, 12));
    const prompt = tf.randomNormal([6, 256]) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      enc.forward({ ids, mask });
      enc.forward({ ids, mask, prompt });
    });
    expect(tf.memory().numTensors).toBe(before);
    const out = enc.forward({ ids, mask, prompt });
    tf.dispose([out.pooled, out.embedding]);
    expect(tf.memory().numTensors).toBe(before);
    const { value, grad } = tf.valueAndGrad((pp: tf.Tensor) =>
      tf.sum(enc.forward({ ids, mask, prompt: pp as tf.Tensor2D }).pooled),
    )(prompt);
    tf.dispose([value, grad]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([ids, mask, prompt]);
  });

  it('throws PROMPT_TOO_LONG when prompt rows + tokens exceed 128 positions', () => {
    const prompt = tf.zeros([10, 256]) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    const long = batchOf([Array.from({ length: 119 }, () => 100)]);
    expect(() => enc.forward({ ...long, prompt })).toThrow(expect.objectContaining({ code: 'PROMPT_TOO_LONG' }));
    const fits = batchOf([Array.from({ length: 118 }, () => 100)]);
    const out = enc.forward({ ...fits, prompt });
    expect(out.embedding.shape).toEqual([1, 512]);
    tf.dispose([out.embedding, out.pooled, long.ids, long.mask, fits.ids, fits.mask]);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => enc.embedTokens(tf.zeros([1, 129], 'int32') as tf.Tensor2D)).toThrow(expect.objectContaining({ code: 'PROMPT_TOO_LONG' }));
    prompt.dispose();
  });
});
