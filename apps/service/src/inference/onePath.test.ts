import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@panda/runtime';
import { loadUseLite, type Backbone } from '@panda/backbones';
import type { Example } from '@panda/datasets';
import { Teacher, loadAdaptedModel, saveRun, tune, type TuneConfigInput } from '@panda/tuner';
import { describeTask } from '@panda/transfer';
import { LoadedRun } from './runLoader.js';

let backbone: Backbone;
let dir: string;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  backbone = await loadUseLite();
  dir = await mkdtemp(join(tmpdir(), 'panda-onepath-'));
});
afterAll(async () => {
  backbone.dispose();
  await rm(dir, { recursive: true, force: true });
});

const SAME = [['a man plays a guitar', 'a man is playing the guitar'], ['the cat sleeps', 'a cat is sleeping'], ['two dogs run', 'two dogs are running']];
const OTHER = [['a man plays a guitar', 'oil prices rose'], ['the cat sleeps', 'the budget passed'], ['two dogs run', 'the train is late']];
const pairs = (n: number, offset = 0): Example[] =>
  Array.from({ length: n }, (_, i) => {
    const k = i + offset;
    const [text, textB] = (k % 2 === 0 ? SAME : OTHER)[k % 3]!;
    return { id: `p:${k}`, text: text!, textB: textB!, label: k % 2 === 0 ? 1 : 0 };
  });
const labels = ['different', 'same'];

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);

describe('every consumer reads a run through the one adapted-model path', () => {
  for (const [name, config] of [
    ['two-tower', { pairEncoding: 'two-tower' }],
    ['template', { template: '{text|shorten} {soft:"in other words"} {textB|shorten}' }],
  ] as Array<[string, TuneConfigInput]>) {
    it(`${name}: the trainer's evaluation, the service, a teacher and the task embedding see the same model`, async () => {
      const dev = pairs(9, 1);
      const r = await tune({ backbone, data: { train: pairs(24), dev, labels }, config: { epochs: 2, batchSize: 8, promptLength: 4, seed: 3, ...config } });
      await saveRun(join(dir, name), r, { task: 'toy-pairs', labels });
      tf.dispose(r.weights);
      const { model } = await loadAdaptedModel(join(dir, name), backbone);
      const run = await LoadedRun.load(join(dir, name), backbone);
      try {
        const set = model.encode(dev);
        // The trainer's evaluation path: its dev accuracy is the run's recorded one.
        const logits = await model.setLogits(set, 64); // [N, C]
        const evalProbs = tf.tidy(() => tf.softmax(logits).dataSync() as Float32Array);
        const predicted = tf.tidy(() => Array.from(tf.argMax(logits, 1).dataSync()));
        expect(predicted.filter((p, i) => p === dev[i]!.label).length / dev.length).toBe(r.metrics.devScore);
        // The service: the same probabilities, bit for bit.
        const service = (await run.predict(dev.map((e) => ({ text: e.text, textB: e.textB! })))).flatMap((p) => p.probabilities);
        expect(service).toEqual(Array.from(evalProbs));
        // A teacher built from the run: its logits on the student's padded batch.
        const teacher = new Teacher({ beta: 1, name: name }, (await loadAdaptedModel(join(dir, name), backbone)).model);
        const rows = dev.map((_, i) => i);
        const teacherLogits = tf.tidy(() => teacher.logits(teacher.model.pad(set, rows), []).dataSync() as Float32Array);
        teacher.dispose();
        expect(maxDiff(teacherLogits, logits.dataSync() as Float32Array)).toBeLessThan(1e-5);
        // The task embedding reads the same sentence embeddings the head reads (both texts for two-tower).
        const features = await model.setFeatures(set, 64); // [N, F]
        const h = backbone.encoder.hidden;
        const towers = features.shape[1] === 4 * h ? 2 : 1;
        const expected = tf.tidy(() => tf.div(tf.sum(tf.reshape(tf.slice(features, [0, 0], [dev.length, towers * h]), [dev.length * towers, h]), 0), dev.length * towers).dataSync() as Float32Array);
        const d = describeTask(model, dev, { samples: dev.length });
        // (the head's features may come from the ONNX Runtime forward, the task embedding's probe
        // from TensorFlow.js: equal to float rounding)
        expect(maxDiff(d.embedding, expected)).toBeLessThan(5e-6);
        tf.dispose([logits, features]);
      } finally {
        model.dispose();
        run.dispose();
      }
    });
  }
});
