import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, loadSafetensors } from '@panda/runtime';
import { DeepPrefix, LinearHead, loadUseLite, measureKeyValueStd, type Backbone } from '@panda/backbones';
import type { Example } from '@panda/datasets';
import { Rng } from '@panda/core';
import { tune } from './tune.js';
import { accumulateGradients, type MicroGrads } from './accumulate.js';
import { crossEntropy } from './loss.js';
import { encodeExamples, padBatch } from '../data/batches.js';
import { saveRun } from '../io/saveRun.js';
import type { TuneConfigInput } from '../config.js';

let backbone: Backbone;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  backbone = await loadUseLite();
});
afterAll(() => backbone.dispose());

const WORDS = ['good', 'great', 'fine', 'bad', 'awful', 'poor', 'film', 'plot', 'acting', 'really', 'very', 'not', 'quite', 'the', 'a'];
function data(n: number, offset: number): Example[] {
  return Array.from({ length: n }, (_, i) => {
    const len = 2 + ((i * 7 + offset) % 9);
    const words = Array.from({ length: len }, (_, j) => WORDS[(i * 13 + j * 5 + offset) % WORDS.length]!);
    const score = words.filter((w) => ['good', 'great', 'fine'].includes(w)).length - words.filter((w) => ['bad', 'awful', 'poor'].includes(w)).length;
    return { id: `d:${offset + i}`, text: words.join(' '), label: score >= 0 ? 1 : 0 };
  });
}
const labels = ['neg', 'pos'];
const train = data(32, 0);
const dev = data(8, 100);
const deep: TuneConfigInput = { method: 'deep-prompt-tuning', epochs: 2, batchSize: 8, promptLength: 4, seed: 5, lr: 0.01, schedule: 'cosine', warmupSteps: 1 };

async function values(w: Record<string, tf.Tensor>): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const k of Object.keys(w).sort()) out[k] = Array.from(await w[k]!.data());
  return out;
}
function encoderSnapshot(): Buffer[] {
  const out: Buffer[] = [];
  const walk = (v: unknown): void => {
    if (v instanceof tf.Tensor) out.push(Buffer.from(Float32Array.from(v.dataSync() as Float32Array).buffer));
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk((backbone.encoder as unknown as { weights: unknown }).weights);
  return out;
}

describe('tune: deep prompt tuning (P-tuning v2 prefix on USE-Lite)', () => {
  it('trains the prefix and head only (encoder bit-identical), leaks nothing per step, and saves the table with its layout', async () => {
    const before = encoderSnapshot();
    const start = tf.memory().numTensors;
    const counts: number[] = [];
    const r = await tune({
      backbone,
      data: { train: data(40, 3), dev, labels },
      config: { ...deep, epochs: 1, batchSize: 2 },
      onProgress: (e) => void (e.type === 'step' && counts.push(tf.memory().numTensors)),
    });
    expect(r.steps).toBe(20);
    expect(new Set(counts).size).toBe(1);
    const after = encoderSnapshot();
    expect(after.every((b, i) => b.equals(before[i]!))).toBe(true);
    expect(Object.keys(r.weights).sort()).toEqual(['head/bias', 'head/kernel', 'prefix']);
    expect(r.weights['prefix']!.shape).toEqual([4, 1536]);
    expect(r.trainableParams).toBe(4 * 1536 + 512 * 2 + 2);
    expect(r.prefix?.slots.map((s) => [s.layer, s.kind, s.offset])).toEqual([
      [0, 'key', 0],
      [0, 'value', 256],
      [1, 'key', 512],
      [1, 'value', 1024],
    ]);
    const dir = await mkdtemp(join(tmpdir(), 'panda-deep-run-'));
    await saveRun(dir, r, { task: 'toy', labels });
    const saved = await loadSafetensors(join(dir, 'adapter.safetensors'));
    expect(Object.keys(saved.tensors).sort()).toEqual(['head/bias', 'head/kernel', 'prefix']);
    const cfg = JSON.parse(await readFile(join(dir, 'panda_adapter.json'), 'utf8'));
    expect(cfg.method).toBe('deep-prompt-tuning');
    expect(cfg.promptLength).toBe(4);
    expect(cfg.prefix.layout.widths).toEqual([256, 512]);
    expect(cfg.prefix.width).toBe(1536);
    tf.dispose(Object.values(saved.tensors));
    tf.dispose(r.weights);
    console.log(`deep prompts: tensors ${start} before the run, ${counts[0]} after step 1, ${counts.at(-1)} after step ${counts.length}, ${tf.memory().numTensors} after`);
    expect(tf.memory().numTensors).toBe(start);
  });

  it('learns a separable toy task', async () => {
    const r = await tune({ backbone, data: { train: data(48, 0), dev: data(16, 200), labels }, config: { ...deep, epochs: 4, lr: 0.01, headLr: 0.05 } });
    console.log(`deep prompts on the toy task: dev accuracy ${r.metrics.devAccuracy}`);
    expect(r.metrics.devAccuracy).toBeGreaterThanOrEqual(0.75);
    tf.dispose(r.weights);
  });

  it('gradient accumulation k × (batch/k) equals one full batch, prefix dropout and reparameterisation included (to 1e-6)', async () => {
    const rng = new Rng(3);
    const head = new LinearHead(512, 2, rng.fork('h'));
    const kv = measureKeyValueStd(backbone.encoder, backbone.sampleIds);
    const prefix = new DeepPrefix({ length: 4, layout: backbone.encoder.prefixLayout!, rng: rng.fork('p'), keyValueStd: kv, projection: true, hidden: 32, dropout: 0.1 });
    const set = encodeExamples(backbone.tokenizer, data(16, 7), 128);
    const vars = [...prefix.params.map((p) => p.variable), head.kernel, head.bias];
    const gradsOf: MicroGrads = async (rows, weight) => tf.tidy(() => {
      const { ids, mask } = padBatch(set, rows, 0);
      const labelsT = tf.tensor1d(rows.map((r) => set.labels[r]!), 'int32');
      const seeds = rows.map((r) => new Rng(`drop/${r}`).int32());
      const f = () => tf.mul(crossEntropy(head.apply(backbone.encoder.forward({ ids, mask, prefix: prefix.trainingTable(seeds) }).embedding), labelsT), weight) as tf.Scalar;
      return tf.variableGrads(f, vars);
    });
    const rows = Array.from({ length: 16 }, (_, i) => i);
    const whole = await accumulateGradients(rows, 1, gradsOf);
    let maxDiff = 0;
    let maxAbs = 0;
    for (const k of [2, 4, 16]) {
      const parts = await accumulateGradients(rows, k, gradsOf);
      for (const key of Object.keys(whole.grads)) {
        const a = whole.grads[key]!.dataSync();
        const b = parts.grads[key]!.dataSync();
        a.forEach((v, i) => {
          maxDiff = Math.max(maxDiff, Math.abs(v - b[i]!));
          maxAbs = Math.max(maxAbs, Math.abs(v));
        });
      }
      expect(Math.abs(whole.value.dataSync()[0]! - parts.value.dataSync()[0]!)).toBeLessThan(1e-6);
      tf.dispose([parts.value, ...Object.values(parts.grads)]);
    }
    console.log(`deep prompts, gradient accumulation (k = 2, 4, 16 vs one batch of 16): max |Δgrad| = ${maxDiff.toExponential(2)} (largest gradient entry ${maxAbs.toExponential(2)})`);
    expect(maxDiff).toBeLessThan(1e-6);
    tf.dispose([whole.value, ...Object.values(whole.grads)]);
    head.dispose();
    prefix.dispose();
  });

  it('with gradient accumulation in tune(), the run equals the one-batch run', async () => {
    const a = await tune({ backbone, data: { train, dev, labels }, config: { ...deep, epochs: 1 } });
    const b = await tune({ backbone, data: { train, dev, labels }, config: { ...deep, epochs: 1, gradAccumulation: 4 } });
    const va = await values(a.weights);
    const vb = await values(b.weights);
    let d = 0;
    for (const k of Object.keys(va)) va[k]!.forEach((x, i) => (d = Math.max(d, Math.abs(x - vb[k]![i]!))));
    expect(d).toBeLessThan(1e-5);
    tf.dispose([...Object.values(a.weights), ...Object.values(b.weights)]);
  });

  it('an interrupted run with reparameterisation and dropout, resumed from its checkpoint, ends exactly like the uninterrupted run', async () => {
    const config: TuneConfigInput = { ...deep, prefixProjection: true, prefixHidden: 32, prefixDropout: 0.2 };
    const full = await tune({ backbone, data: { train, dev, labels }, config });
    expect(Object.keys(full.weights).sort()).toEqual(['head/bias', 'head/kernel', 'prefix', 'prefix/b1', 'prefix/b2', 'prefix/embedding', 'prefix/w1', 'prefix/w2']);
    const dir = await mkdtemp(join(tmpdir(), 'panda-deep-ckpt-'));
    const controller = new AbortController();
    const cut = await tune({
      backbone,
      data: { train, dev, labels },
      config,
      checkpoint: { dir, everySteps: 3 },
      signal: controller.signal,
      onProgress: (e) => {
        if (e.type === 'step' && e.step === 7) controller.abort(); // 4 steps per epoch: mid-epoch 2, last checkpoint at step 6
      },
    });
    expect(cut.stoppedEarly).toBe(true);
    tf.dispose(cut.weights);
    const manifest = JSON.parse(await readFile(join(dir, 'checkpoint.json'), 'utf8'));
    expect(manifest.step).toBe(6);
    const ckpt = (await readdir(dir)).filter((f) => f.endsWith('.safetensors'));
    const saved = await loadSafetensors(join(dir, ckpt[0]!));
    // The raw parameters and their optimiser moments are what resumes.
    for (const k of ['prefix/embedding', 'prefix/w1', 'prefix/b1', 'prefix/w2', 'prefix/b2']) {
      expect(saved.tensors[k]).toBeDefined();
      expect(saved.tensors[`opt/${k}/m`]).toBeDefined();
    }
    tf.dispose(Object.values(saved.tensors));
    const resumed = await tune({ backbone, data: { train, dev, labels }, config, checkpoint: { dir, everySteps: 3 } });
    expect(resumed.resumedFrom).toBe(6);
    expect(resumed.steps).toBe(full.steps);
    expect(resumed.history).toEqual(full.history);
    expect(resumed.metrics).toEqual(full.metrics);
    expect(await values(resumed.weights)).toEqual(await values(full.weights));
    tf.dispose([...Object.values(full.weights), ...Object.values(resumed.weights)]);
  });

  it('is deterministic for a seed (init, order and dropout masks) and differs across seeds', async () => {
    const curve = async (seed: number) => {
      const losses: number[] = [];
      const r = await tune({ backbone, data: { train, dev, labels }, config: { ...deep, epochs: 1, seed }, onProgress: (e) => void (e.type === 'step' && losses.push(e.loss!)) });
      tf.dispose(r.weights);
      return losses;
    };
    const a = await curve(9);
    expect(await curve(9)).toEqual(a);
    expect(await curve(10)).not.toEqual(a);
  });
});
