import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@panda/runtime';
import { isPandaError } from '@panda/core';
import { loadUseLite, type Backbone } from '@panda/backbones';
import { spamTask } from '@panda/datasets';
import { tuneTask } from './tuneTask.js';
import { loadRun } from '../io/loadRun.js';

let backbone: Backbone;
let dir: string;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  backbone = await loadUseLite();
  dir = await mkdtemp(join(tmpdir(), 'panda-transfer-'));
});
afterAll(async () => {
  backbone.dispose();
  await rm(dir, { recursive: true, force: true });
});

const small = { epochs: 1, batchSize: 8, promptLength: 4, maxTrainExamples: 16, maxEvalExamples: 8 };

describe('tuneTask: prompt transfer and distillation from saved runs', () => {
  it('PoT starts from the source prompt with a fresh head; PANDA records its teacher and β', async () => {
    const source = join(dir, 'source');
    await tuneTask({ task: spamTask, backbone, outDir: source, evaluateTest: false, config: { ...small, seed: 1 } });
    // A learning rate of 1e-9 leaves the transferred prompt where it started.
    const pot = join(dir, 'pot');
    const r = await tuneTask({ task: spamTask, backbone, outDir: pot, evaluateTest: false, initFrom: [{ dir: source }], config: { ...small, seed: 2, lr: 1e-9 } });
    expect(r.init?.keys).toEqual(['prompt']);
    const [a, b] = await Promise.all([loadRun(source), loadRun(pot)]);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(a.weights.prompt!, b.weights.prompt!))).dataSync()[0]!)).toBeLessThan(1e-6);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(a.weights['head/kernel']!, b.weights['head/kernel']!))).dataSync()[0]!)).toBeGreaterThan(1e-3);

    const student = await tuneTask({ task: spamTask, backbone, evaluateTest: false, teachers: [{ dir: pot, beta: 0.4, name: 'spam-pot' }], config: { ...small, seed: 3 } });
    expect(student.distill?.teachers).toEqual([expect.objectContaining({ name: 'spam-pot', beta: 0.4 })]);
    expect(student.distill?.cachedTeacherLogits).toBe(true);
    tf.dispose([a.weights, b.weights]);
  });

  it('refuses a source of another method', async () => {
    const source = join(dir, 'source');
    await expect(tuneTask({ task: spamTask, backbone, evaluateTest: false, initFrom: [{ dir: source }], config: { ...small, method: 'deep-prompt-tuning' } })).rejects.toSatisfy((e) => isPandaError(e, 'CONFIG_INVALID'));
  });
});
