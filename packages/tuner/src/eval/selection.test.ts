import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPandaError } from '@panda/core';
import { initBackend } from '@panda/runtime';
import { loadUseLite, type Backbone } from '@panda/backbones';
import { accuracy, registerMetric } from '@panda/datasets';
import { tune } from '../train/tune.js';
import { toyReviews, TOY_LABELS } from '../testing/toyReviews.js';
import { isBetter, selectionMetric } from './selection.js';

let backbone: Backbone;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  backbone = await loadUseLite();
  // A loss-like metric: lower is better, so the best epoch is the one with the fewest errors.
  registerMetric({ name: 'test_error_rate', description: '1 − accuracy', higherIsBetter: false, compute: (p, g) => 1 - accuracy(p, g) });
});
afterAll(() => backbone.dispose());

describe('model selection by a registered task metric', () => {
  it('orders scores by the metric’s direction; an undefined score never wins', () => {
    expect(isBetter(0.6, 0.5, { higherIsBetter: true })).toBe(true);
    expect(isBetter(0.6, 0.5, { higherIsBetter: false })).toBe(false);
    expect(isBetter(0.4, 0.5, { higherIsBetter: false })).toBe(true);
    expect(isBetter(Number.NaN, 0.5, { higherIsBetter: true })).toBe(false);
    expect(isBetter(0.1, Number.NaN, { higherIsBetter: false })).toBe(true);
  });

  it('binds F1 averages to every class of the run and refuses unknown names', () => {
    // Class 2 is never predicted nor gold: macro-F1 over 3 classes counts it as 0.
    expect(selectionMetric('f1_macro', 'classification', 3).score([0, 1, 1, 0], [0, 1, 0, 0])).toBeCloseTo((0.8 + 2 / 3 + 0) / 3, 12);
    expect(() => selectionMetric('no_such_metric', 'classification', 2)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it('tune() keeps the weights with the lowest score of a lower-is-better metric, and reports accuracy beside it', async () => {
    const r = await tune({
      backbone,
      data: { train: toyReviews(48), dev: toyReviews(24, 500), labels: [...TOY_LABELS] },
      config: { method: 'linear-probe', epochs: 4, batchSize: 8, headLr: 0.02, seed: 5, schedule: 'constant' },
      metric: 'test_error_rate',
    });
    try {
      expect(r.metrics.metric).toBe('test_error_rate');
      const scores = r.history.map((h) => h.devScore);
      expect(new Set(scores).size).toBeGreaterThan(1); // the epochs differ, so the choice matters
      const best = Math.min(...scores);
      expect(r.metrics.devScore).toBe(best);
      expect(r.metrics.bestStep).toBe(r.history.find((h) => h.devScore === best)!.step);
      expect(r.metrics.devAccuracy).toBeCloseTo(1 - best, 12);
    } finally {
      for (const t of Object.values(r.weights)) t.dispose();
    }
  });

  it('an unknown metric name stops the run before training', async () => {
    const err = await tune({ backbone, data: { train: toyReviews(8), dev: toyReviews(8, 100), labels: [...TOY_LABELS] }, config: { method: 'linear-probe', epochs: 1 }, metric: 'nope' }).catch((e: unknown) => e);
    expect(isPandaError(err, 'CONFIG_INVALID')).toBe(true);
  });
});
