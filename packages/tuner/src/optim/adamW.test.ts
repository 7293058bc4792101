import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@panda/runtime';
import { AdamW, clipByGlobalNorm } from './adamW.js';
import { cosineSchedule, linearSchedule } from './schedules.js';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe('AdamW', () => {
  it('matches a hand-computed torch.optim.AdamW trajectory', () => {
    // Reference by hand: p=1, g=0.5 each step, lr=0.1, wd=0.1, betas (0.9, 0.999), eps 1e-8.
    const p = tf.variable(tf.tensor1d([1]), true, 'adamw-test-p');
    const opt = new AdamW([{ params: [{ key: 'p', variable: p }], lr: 0.1, weightDecay: 0.1 }]);
    let expected = 1;
    let m = 0;
    let v = 0;
    for (let t = 1; t <= 3; t++) {
      const g = tf.tensor1d([0.5]);
      opt.apply({ p: g });
      g.dispose();
      expected *= 1 - 0.1 * 0.1;
      m = 0.9 * m + 0.1 * 0.5;
      v = 0.999 * v + 0.001 * 0.25;
      expected -= (0.1 * (m / (1 - 0.9 ** t))) / (Math.sqrt(v / (1 - 0.999 ** t)) + 1e-8);
    }
    expect(p.dataSync()[0]).toBeCloseTo(expected, 6);
    opt.dispose();
    p.dispose();
  });

  it('clips by global norm and schedules linearly', () => {
    const g = { a: tf.tensor1d([3]), b: tf.tensor1d([4]) };
    const { grads, norm } = clipByGlobalNorm(g, 1);
    expect(norm.dataSync()[0]).toBeCloseTo(5, 5);
    expect(grads['a']!.dataSync()[0]).toBeCloseTo(0.6, 4);
    expect(grads['b']!.dataSync()[0]).toBeCloseTo(0.8, 4);
    tf.dispose([g.a, g.b, norm, grads['a']!, grads['b']!]);
    expect(linearSchedule(0, 10)).toBe(1);
    expect(linearSchedule(5, 10)).toBe(0.5);
    expect(linearSchedule(0, 10, 2)).toBe(0.5);
    expect(linearSchedule(2, 10, 2)).toBe(1);
    expect(cosineSchedule(0, 10)).toBe(1);
    expect(cosineSchedule(5, 10)).toBeCloseTo(0.5, 10);
    expect(cosineSchedule(10, 10)).toBeCloseTo(0, 10);
    expect(cosineSchedule(0, 10, 4)).toBe(0.25);
  });
});
