import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@panda/runtime';
import { loadUseLite, type Backbone } from '@panda/backbones';
import type { Example } from '@panda/datasets';
import { Rng } from '@panda/core';
import { LinearHead, SoftPrompt } from '@panda/backbones';
import { tune } from './tune.js';
import { accumulateGradients, type MicroGrads } from './accumulate.js';
import { crossEntropy } from './loss.js';
import { encodeExamples, padBatch } from '../data/batches.js';
import type { TuneConfigInput } from '../config.js';

let backbone: Backbone;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  backbone = await loadUseLite();
});
afterAll(() => backbone.dispose());

const WORDS = ['good', 'great', 'fine', 'bad', 'awful', 'poor', 'film', 'plot', 'acting', 'really', 'very', 'not', 'quite', 'the', 'a'];
/** Sentences of varied length (so padding differs between batches), label = more positive words. */
function data(n: number, offset: number): Example[] {
  return Array.from({ length: n }, (_, i) => {
    const len = 2 + ((i * 7 + offset) % 9);
    const words = Array.from({ length: len }, (_, j) => WORDS[(i * 13 + j * 5 + offset) % WORDS.length]!);
    const score = words.filter((w) => ['good', 'great', 'fine'].includes(w)).length - words.filter((w) => ['bad', 'awful', 'poor'].includes(w)).length;
    return { id: `d:${offset + i}`, text: words.join(' '), label: score >= 0 ? 1 : 0 };
  });
}
const labels = ['neg', 'pos'];
const base: TuneConfigInput = { epochs: 3, batchSize: 8, promptLength: 4, seed: 5, lr: 0.02, schedule: 'cosine', warmupSteps: 2 };
const train = data(40, 0);
const dev = data(10, 100);

async function values(w: Record<string, tf.Tensor>): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const k of Object.keys(w).sort()) out[k] = Array.from(await w[k]!.data());
  return out;
}

describe('gradient accumulation', () => {
  it('k × (batch/k) micro-batches give the gradient of one full batch (to 1e-6)', async () => {
    const rng = new Rng(3);
    const head = new LinearHead(512, 2, rng.fork('h'));
    const table = backbone.tokenInputTable();
    const prompt = new SoftPrompt({ length: 4, width: 256, rng: rng.fork('p'), tokenTable: table, sampleIds: backbone.sampleIds });
    table.dispose();
    const set = encodeExamples(backbone.tokenizer, data(16, 7), 124);
    const vars = [prompt.rows, head.kernel, head.bias];
    const gradsOf: MicroGrads = async (rows, weight) => tf.tidy(() => {
      const { ids, mask } = padBatch(set, rows, 0);
      const labelsT = tf.tensor1d(rows.map((r) => set.labels[r]!), 'int32');
      const f = () => tf.mul(crossEntropy(head.apply(backbone.encoder.forward({ ids, mask, prompt: prompt.rows }).embedding), labelsT), weight) as tf.Scalar;
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
    console.log(`gradient accumulation (k = 2, 4, 16 vs one batch of 16): max |Δgrad| = ${maxDiff.toExponential(2)} (largest gradient entry ${maxAbs.toExponential(2)})`);
    expect(maxDiff).toBeLessThan(1e-6);
    tf.dispose([whole.value, ...Object.values(whole.grads)]);
    head.dispose();
    prompt.dispose();
  });
});

describe('checkpoints', () => {
  it('an interrupted run resumed from its checkpoint ends exactly like the uninterrupted run', async () => {
    const full = await tune({ backbone, data: { train, dev, labels }, config: base });
    const dir = await mkdtemp(join(tmpdir(), 'panda-ckpt-'));
    const controller = new AbortController();
    const cut = await tune({
      backbone,
      data: { train, dev, labels },
      config: base,
      checkpoint: { dir, everySteps: 3 },
      signal: controller.signal,
      onProgress: (e) => {
        if (e.type === 'step' && e.step === 8) controller.abort(); // mid-epoch 2; last checkpoint at step 6
      },
    });
    expect(cut.stoppedEarly).toBe(true);
    tf.dispose(cut.weights);
    const manifest = JSON.parse(await readFile(join(dir, 'checkpoint.json'), 'utf8'));
    expect(manifest.step).toBe(6);
    expect((await readdir(dir)).filter((f) => f.endsWith('.safetensors'))).toEqual(['ckpt-00000006.safetensors']);
    const resumed = await tune({ backbone, data: { train, dev, labels }, config: base, checkpoint: { dir, everySteps: 3 } });
    expect(resumed.resumedFrom).toBe(6);
    expect(resumed.steps).toBe(full.steps);
    expect(resumed.history).toEqual(full.history);
    expect(resumed.metrics).toEqual(full.metrics);
    expect(await values(resumed.weights)).toEqual(await values(full.weights));
    tf.dispose([...Object.values(full.weights), ...Object.values(resumed.weights)]);
  });

  it('a run with a validation split resumes with its validation curve and choice intact', async () => {
    const config = { ...base, validationSplit: 8 };
    const full = await tune({ backbone, data: { train, dev, labels }, config });
    expect(full.history.every((p) => p.validationScore !== undefined)).toBe(true);
    const dir = await mkdtemp(join(tmpdir(), 'panda-ckpt-'));
    const controller = new AbortController();
    const cut = await tune({ backbone, data: { train, dev, labels }, config, checkpoint: { dir, everySteps: 3 }, signal: controller.signal, onProgress: (e) => e.type === 'step' && e.step === 10 && controller.abort() });
    tf.dispose(cut.weights);
    const resumed = await tune({ backbone, data: { train, dev, labels }, config, checkpoint: { dir, everySteps: 3 } });
    expect(resumed.resumedFrom).toBeGreaterThan(4);
    expect(resumed.history).toEqual(full.history);
    expect(resumed.metrics).toEqual(full.metrics);
    tf.dispose([...Object.values(full.weights), ...Object.values(resumed.weights)]);
  });

  it('refuses a checkpoint of another run or a corrupt one, with CHECKPOINT_INVALID', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'panda-ckpt-'));
    const r = await tune({ backbone, data: { train, dev, labels }, config: { ...base, epochs: 1 }, checkpoint: { dir, everySteps: 2 } });
    tf.dispose(r.weights);
    await expect(tune({ backbone, data: { train, dev, labels }, config: { ...base, epochs: 1, seed: 6 }, checkpoint: { dir, everySteps: 2 } })).rejects.toMatchObject({ code: 'CHECKPOINT_INVALID' });
    await writeFile(join(dir, 'checkpoint.json'), '{"formatVersion": 1, "step": "x"}');
    await expect(tune({ backbone, data: { train, dev, labels }, config: { ...base, epochs: 1 }, checkpoint: { dir, everySteps: 2 } })).rejects.toMatchObject({ code: 'CHECKPOINT_INVALID' });
  });
});

describe('early stopping', () => {
  it('stops after `patience` evaluations without improvement and restores the best weights', async () => {
    const r = await tune({ backbone, data: { train, dev, labels }, config: { ...base, epochs: 30, lr: 1e-6, headLr: 1e-6, evalEverySteps: 1, earlyStoppingPatience: 2 } });
    expect(r.stoppedEarly).toBe(true);
    expect(r.steps).toBeLessThan(30 * 5);
    const accs = r.history.map((h) => h.devScore);
    expect(Math.max(...accs)).toBe(r.metrics.devAccuracy);
    tf.dispose(r.weights);
  });
});
