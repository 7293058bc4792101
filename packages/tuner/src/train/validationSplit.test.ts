import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@panda/runtime';
import { loadUseLite, type Backbone } from '@panda/backbones';
import { PandaError } from '@panda/core';
import { tune } from './tune.js';
import { sampleSplits } from './prepare.js';
import { parseTuneConfig } from '../config.js';
import { TOY_LABELS, toyReviews } from '../testing/toyReviews.js';

let backbone: Backbone;

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  backbone = await loadUseLite();
});
afterAll(() => backbone.dispose());

const labels = [...TOY_LABELS];

describe('validation split carved from train (the unbiased protocol)', () => {
  it('moves a seeded share of the training rows to a validation set, disjoint and whole', () => {
    const train = toyReviews(40);
    const dev = toyReviews(8, 1);
    const a = sampleSplits(parseTuneConfig({ validationSplit: 0.25, seed: 3 }), { train, dev, labels });
    expect(a.validation).toHaveLength(10);
    expect(a.train).toHaveLength(30);
    const ids = new Set(a.train.map((e) => e.id));
    expect(a.validation!.some((e) => ids.has(e.id))).toBe(false);
    expect(new Set([...a.train, ...a.validation!].map((e) => e.id)).size).toBe(40);
    // The rest keep their order; another seed carves other rows; a count works as well as a fraction.
    expect(a.train.map((e) => train.indexOf(e))).toEqual([...a.train.map((e) => train.indexOf(e))].sort((x, y) => x - y));
    const b = sampleSplits(parseTuneConfig({ validationSplit: 0.25, seed: 4 }), { train, dev, labels });
    expect(b.validation!.map((e) => e.id)).not.toEqual(a.validation!.map((e) => e.id));
    expect(sampleSplits(parseTuneConfig({ validationSplit: 7 }), { train, dev, labels }).validation).toHaveLength(7);
    expect(sampleSplits(parseTuneConfig({}), { train, dev, labels }).validation).toBeUndefined();
  });

  it('refuses a split that leaves no training row, with CONFIG_INVALID', () => {
    const data = { train: toyReviews(4), dev: toyReviews(2, 1), labels };
    expect(() => parseTuneConfig({ validationSplit: 1.5 })).toThrow(/whole number/);
    for (const v of [4, 9, 0.01]) {
      let err: unknown;
      try {
        sampleSplits(parseTuneConfig({ validationSplit: v }), data);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(PandaError);
      expect((err as PandaError).code).toBe('CONFIG_INVALID');
    }
  });

  it('selects on validation, scores dev at every evaluation, and reports dev at the chosen step', async () => {
    const r = await tune({
      backbone,
      data: { train: toyReviews(48), dev: toyReviews(12, 1), labels },
      config: { method: 'prompt-tuning', epochs: 4, batchSize: 8, promptLength: 2, seed: 5, lr: 0.05, validationSplit: 16 },
    });
    try {
      expect(r.sizes).toMatchObject({ train: 32, dev: 12, validation: 16 });
      expect(r.history).toHaveLength(4);
      for (const p of r.history) {
        expect(p.validationScore).toBeGreaterThanOrEqual(0);
        expect(p.devScore).toBeGreaterThanOrEqual(0);
      }
      // The chosen step is the first with the best validation score, whatever dev says there.
      const bestValidation = Math.max(...r.history.map((p) => p.validationScore!));
      const chosen = r.history.find((p) => p.validationScore === bestValidation)!;
      expect(r.metrics.bestStep).toBe(chosen.step);
      expect(r.metrics.validationScore).toBe(bestValidation);
      // Dev is scored again with the restored weights: equal to the curve's dev at that step.
      expect(r.metrics.devScore).toBeCloseTo(chosen.devScore, 10);
      expect(r.metrics.devAccuracy).toBeCloseTo(chosen.devScore, 10);
    } finally {
      tf.dispose(r.weights);
    }
  });

  it('works with cached features (the linear probe) too', async () => {
    const r = await tune({ backbone, data: { train: toyReviews(40), dev: toyReviews(10, 1), labels }, config: { method: 'linear-probe', epochs: 3, batchSize: 8, seed: 2, validationSplit: 0.2 } });
    try {
      expect(r.sizes).toMatchObject({ train: 32, validation: 8, dev: 10 });
      expect(r.history.every((p) => p.validationScore !== undefined)).toBe(true);
      const chosen = r.history.find((p) => p.step === r.metrics.bestStep)!;
      expect(r.metrics.devScore).toBeCloseTo(chosen.devScore, 10);
    } finally {
      tf.dispose(r.weights);
    }
  });
});
