import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@panda/runtime';
import { loadUseLite, type Backbone } from '@panda/backbones';
import type { Example } from '@panda/datasets';
import { tune, type TuneOptions } from './tune.js';
import { saveRun } from '../io/saveRun.js';
import { TOY_LABELS, toyReviews } from '../testing/toyReviews.js';

// Results that a refactor of the trainer must not change: for a fixed seed, the loss of every step
// and the bytes of the saved adapter, per method. The fixture was written by the trainer as it was
// before the methods became modules (main 931831a); `PANDA_UPDATE_GOLDEN=1` rewrites it, which only
// a deliberate, documented change of results may do.
const FIXTURE = fileURLToPath(new URL('./golden.fixture.json', import.meta.url));

// The fixture pins the TensorFlow.js path: the backbone without its inference engine. With the
// engine (ONNX Runtime), forward-only passes — dev scores, a linear probe's cached features, cached
// teacher logits — round differently; the second block checks those runs against this one.
let backbone: Backbone;
let tfjsOnly: Backbone;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  backbone = await loadUseLite();
  const { inference: _engine, training: _trainer, ...rest } = backbone;
  tfjsOnly = rest;
});
afterAll(() => backbone.dispose());

const labels = [...TOY_LABELS];
const pairs = (n: number, offset: number): Example[] =>
  toyReviews(n, offset).map((e, i) => ({ ...e, id: `pair:${i + offset}`, textB: toyReviews(1, i + offset + 3)[0]!.text }));

const CASES: Record<string, Omit<TuneOptions, 'backbone' | 'onProgress'>> = {
  'prompt-tuning': { data: { train: toyReviews(24), dev: toyReviews(8, 1), labels }, config: { epochs: 2, batchSize: 8, promptLength: 4, seed: 11, lr: 0.05 } },
  'deep-prompt-tuning': {
    data: { train: toyReviews(24), dev: toyReviews(8, 1), labels },
    config: { method: 'deep-prompt-tuning', epochs: 2, batchSize: 8, promptLength: 4, seed: 12, prefixDropout: 0.1 },
  },
  'deep-prompt-tuning-projection': {
    data: { train: toyReviews(16), dev: toyReviews(8, 1), labels },
    config: { method: 'deep-prompt-tuning', epochs: 1, batchSize: 8, promptLength: 2, seed: 13, prefixProjection: true, prefixHidden: 16 },
  },
  'model-tuning': { data: { train: toyReviews(16), dev: toyReviews(8, 1), labels }, config: { method: 'model-tuning', epochs: 1, batchSize: 8, seed: 14, gradAccumulation: 2 } },
  'linear-probe': { data: { train: toyReviews(24), dev: toyReviews(8, 1), labels }, config: { method: 'linear-probe', epochs: 2, batchSize: 8, seed: 15 } },
  template: {
    data: { train: toyReviews(16), dev: toyReviews(8, 1), labels },
    config: { epochs: 1, batchSize: 8, seed: 16, template: '{soft:2} {text|shorten} {soft:"It was"} {mask}.' },
  },
  'two-tower': { data: { train: pairs(16, 0), dev: pairs(8, 1), labels }, config: { pairEncoding: 'two-tower', epochs: 1, batchSize: 8, promptLength: 4, seed: 17 } },
  'joined-pairs': { data: { train: pairs(16, 0), dev: pairs(8, 1), labels }, config: { pairEncoding: 'joined', epochs: 1, batchSize: 8, promptLength: 4, seed: 18 } },
};

interface Golden {
  losses: number[];
  devScore: number;
  adapterSha256: string;
}

/** Prompt transfer and PANDA: a student started from a source prompt (PoT) and distilled from a teacher. */
async function distillCase(bb: Backbone): Promise<Omit<TuneOptions, 'backbone' | 'onProgress'>> {
  const data = { train: toyReviews(16), dev: toyReviews(8, 1), labels };
  const teacher = await tune({ backbone: bb, data, config: { epochs: 1, batchSize: 8, promptLength: 4, seed: 19 } });
  return {
    data,
    config: { epochs: 1, batchSize: 8, promptLength: 4, seed: 20 },
    init: { prompt: teacher.weights.prompt! },
    distill: { teachers: [{ weights: teacher.weights, beta: 0.7, name: 'teacher' }], config: { lambda: 1 } },
  };
}

async function runCase(name: string, bb: Backbone = tfjsOnly): Promise<Golden & { weights: Record<string, Float32Array> }> {
  const losses: number[] = [];
  const options = name === 'pot-panda' ? await distillCase(bb) : CASES[name]!;
  const r = await tune({ backbone: bb, ...options, onProgress: (e) => void (e.type === 'step' && losses.push(e.loss!)) });
  if (options.init) tf.dispose(options.distill!.teachers[0]!.weights);
  const dir = await mkdtemp(join(tmpdir(), 'panda-golden-'));
  try {
    await saveRun(dir, r, { task: 'toy', labels });
    const bytes = await readFile(join(dir, 'adapter.safetensors'));
    const weights = Object.fromEntries(Object.entries(r.weights).map(([k, t]) => [k, Float32Array.from(t.dataSync() as Float32Array)]));
    return { losses, devScore: r.metrics.devScore, adapterSha256: createHash('sha256').update(bytes).digest('hex'), weights };
  } finally {
    tf.dispose(r.weights);
    await rm(dir, { recursive: true, force: true });
  }
}

describe('the trainer gives the same results as before for a fixed seed', () => {
  if (process.env.PANDA_UPDATE_GOLDEN === '1') {
    it('rewrites the fixture', async () => {
      const out: Record<string, Golden> = {};
      for (const name of [...Object.keys(CASES), 'pot-panda']) {
        const { weights: _w, ...g } = await runCase(name);
        out[name] = g;
      }
      await writeFile(FIXTURE, JSON.stringify(out, null, 2) + '\n');
    });
    return;
  }
  for (const name of [...Object.keys(CASES), 'pot-panda']) {
    it(`${name}: the same loss at every step and the same adapter bytes`, async () => {
      const golden = (JSON.parse(await readFile(FIXTURE, 'utf8')) as Record<string, Golden>)[name]!;
      const got = await runCase(name);
      expect(got.losses).toEqual(golden.losses);
      expect(got.devScore).toBe(golden.devScore);
      expect(got.adapterSha256).toBe(golden.adapterSha256);
    });
  }
});

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

/** The runs whose training steps run on the training engine (all but soft tokens in a template and the probe's cached features). */
const ON_TRAINING_ENGINE = new Set(['prompt-tuning', 'deep-prompt-tuning', 'deep-prompt-tuning-projection', 'model-tuning', 'two-tower', 'joined-pairs', 'pot-panda']);

describe('with the engines (ONNX Runtime) the same runs agree to float rounding', () => {
  // Forward passes and, for prompt methods, the training steps on another kernel library change
  // the float order, so the tolerance is stated: every step's loss within 1e-5, the same dev
  // score, every adapter tensor within 1e-4.
  for (const name of [...Object.keys(CASES), 'pot-panda']) {
    it(`${name}: losses within 1e-5, the same dev score, adapter tensors within 1e-4`, async () => {
      expect(await backbone.inference!()).toBeDefined();
      const engine = (await backbone.training!())!;
      let passes = 0;
      const counted: Backbone = { ...backbone, training: async () => ({ name: engine.name, accepts: (i, e) => engine.accepts(i, e), forward: (i, e) => (passes++, engine.forward(i, e)) }) };
      const ref = await runCase(name, tfjsOnly);
      const got = await runCase(name, counted);
      // Which steps trained on the engine: every step of the prompt methods, none of the others.
      if (ON_TRAINING_ENGINE.has(name)) expect(passes).toBeGreaterThanOrEqual(ref.losses.length);
      else expect(passes).toBe(0);
      expect(got.losses).toHaveLength(ref.losses.length);
      expect(maxDiff(got.losses, ref.losses)).toBeLessThan(1e-5);
      expect(got.devScore).toBe(ref.devScore);
      expect(Object.keys(got.weights).sort()).toEqual(Object.keys(ref.weights).sort());
      for (const k of Object.keys(ref.weights)) expect(maxDiff(got.weights[k]!, ref.weights[k]!), k).toBeLessThan(1e-4);
    });
  }
});
