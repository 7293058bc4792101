import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@panda/runtime';
import { loadUseLite, type Backbone } from '@panda/backbones';
import type { Example } from '@panda/datasets';
import { modelFromParts, saveRun, tune, type TuneConfigInput } from '@panda/tuner';
import { LoadedRun } from './runLoader.js';

let backbone: Backbone;
let dir: string;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  backbone = await loadUseLite();
  dir = await mkdtemp(join(tmpdir(), 'panda-runloader-'));
});
afterAll(async () => {
  backbone.dispose();
  await rm(dir, { recursive: true, force: true });
});

const SAME = [['a man plays a guitar', 'a man is playing the guitar'], ['the cat sleeps', 'a cat is sleeping'], ['two dogs run', 'two dogs are running'], ['she cuts onions', 'a woman slices an onion']];
const OTHER = [['a man plays a guitar', 'oil prices rose'], ['the cat sleeps', 'the budget passed'], ['two dogs run', 'the train is late'], ['she cuts onions', 'stocks fell today']];
function pairs(n: number, offset = 0): Example[] {
  return Array.from({ length: n }, (_, i) => {
    const k = i + offset;
    const [text, textB] = (k % 2 === 0 ? SAME : OTHER)[k % 4]!;
    return { id: `p:${k}`, text: text!, textB: textB!, label: k % 2 === 0 ? 1 : 0 };
  });
}
const labels = ['different', 'same'];

/**
 * Trains and saves a run, loads it in the service and predicts the dev rows: the probabilities must
 * be those of the tuner's own evaluation path (the same encoding, prompt and head), and so must the
 * accuracy.
 */
async function roundTrip(name: string, config: TuneConfigInput): Promise<{ tuner: number; service: number; maxDiff: number }> {
  const dev = pairs(12, 1);
  const r = await tune({ backbone, data: { train: pairs(32), dev, labels }, config: { epochs: 2, batchSize: 8, promptLength: 4, seed: 3, ...config } });
  await saveRun(join(dir, name), r, { task: 'toy-pairs', labels });
  // The tuner's evaluation path on the run's weights, as it scored dev in training.
  const model = modelFromParts(backbone, { method: r.config.method, weights: r.weights, adapter: { ...r.adapter, pairEncoding: r.pairEncoding, ...(r.config.template ? { template: r.config.template } : {}) } });
  const logits = await model.setLogits(model.encode(dev), 64); // [N, C]
  const expected = tf.tidy(() => tf.softmax(logits).arraySync() as number[][]);
  tf.dispose(logits);
  model.dispose();
  tf.dispose(r.weights);
  const run = await LoadedRun.load(join(dir, name), backbone);
  try {
    const predictions = await run.predict(dev.map((e) => ({ text: e.text, textB: e.textB! })));
    const service = predictions.filter((p, i) => p.labelIndex === dev[i]!.label).length / dev.length;
    const maxDiff = Math.max(...predictions.flatMap((p, i) => p.probabilities.map((q, c) => Math.abs(q - expected[i]![c]!))));
    return { tuner: r.metrics.devScore, service, maxDiff };
  } finally {
    run.dispose();
  }
}

describe('LoadedRun predicts as the tuner evaluated', () => {
  it('a two-tower run (each text through the prompt, pair features for the head)', async () => {
    const { tuner, service, maxDiff } = await roundTrip('two-tower', { pairEncoding: 'two-tower' });
    expect(maxDiff).toBeLessThan(1e-5);
    expect(service).toBe(tuner);
  });

  it('refuses a regression run with a typed error that says where its scores are', async () => {
    const r = await tune({ backbone, data: { train: pairs(8), dev: pairs(4, 1), labels: [], objective: 'regression' }, config: { epochs: 1, batchSize: 8, promptLength: 4 } });
    await saveRun(join(dir, 'regression'), r, { task: 'toy-sts', labels: [] });
    tf.dispose(r.weights);
    const before = tf.memory().numTensors;
    await expect(LoadedRun.load(join(dir, 'regression'), backbone)).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('regression run') });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a run with a template whose soft tokens sit inside the text', async () => {
    const { tuner, service, maxDiff } = await roundTrip('template', { template: '{text|shorten} {soft:"in other words"} {textB|shorten}' });
    expect(maxDiff).toBeLessThan(1e-5);
    expect(service).toBe(tuner);
  });
});
