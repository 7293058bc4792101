import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@panda/runtime';
import { loadUseLite, type Backbone } from '@panda/backbones';
import { tune } from './tune.js';
import { TOY_LABELS, toyReviews } from '../testing/toyReviews.js';

let backbone: Backbone;

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  backbone = await loadUseLite();
});
afterAll(() => backbone.dispose());

const toy = toyReviews;
const labels = [...TOY_LABELS];

/** Every weight tensor of the frozen encoder, copied to host memory. */
function encoderSnapshot(): Float32Array[] {
  const w = (backbone.encoder as unknown as { weights: Record<string, unknown> }).weights;
  const out: Float32Array[] = [];
  const walk = (v: unknown): void => {
    if (v instanceof tf.Tensor) out.push(Float32Array.from(v.dataSync() as Float32Array));
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(w);
  return out;
}

describe('tune (prompt tuning on USE-Lite)', () => {
  it('changes only the prompt and head: the encoder weights stay bit-identical', async () => {
    const before = encoderSnapshot();
    expect(before.length).toBeGreaterThan(20);
    const r = await tune({ backbone, data: { train: toy(32), dev: toy(8, 1), labels }, config: { epochs: 1, batchSize: 8, promptLength: 4, seed: 1, lr: 0.05 } });
    const after = encoderSnapshot();
    expect(after.length).toBe(before.length);
    for (let i = 0; i < before.length; i++) expect(Buffer.from(after[i]!.buffer).equals(Buffer.from(before[i]!.buffer))).toBe(true);
    // ... while the prompt did move away from its initial rows.
    expect(r.weights['prompt']!.shape).toEqual([4, 256]);
    tf.dispose(r.weights);
  });

  it('leaks no tensor per step over 100 steps, nor over the whole run', async () => {
    const counts: number[] = [];
    const start = tf.memory().numTensors;
    const r = await tune({
      backbone,
      data: { train: toy(200), dev: toy(6, 1), labels },
      config: { epochs: 1, batchSize: 2, promptLength: 4, seed: 2 },
      onProgress: (e) => {
        if (e.type === 'step') counts.push(tf.memory().numTensors);
      },
    });
    expect(r.steps).toBe(100);
    expect(counts.length).toBe(100);
    expect(counts[99]).toBe(counts[0]);
    tf.dispose(r.weights);
    console.log(`tensors: ${start} before the run, ${counts[0]} after step 1, ${counts[99]} after step 100, ${tf.memory().numTensors} after the run`);
    expect(tf.memory().numTensors).toBe(start);
  });

  it('gives an identical loss curve over 200 steps for the same seed, and a different one for another seed', async () => {
    const curve = async (seed: number) => {
      const losses: number[] = [];
      const r = await tune({ backbone, data: { train: toy(400), dev: toy(6, 1), labels }, config: { epochs: 1, batchSize: 2, promptLength: 3, seed }, onProgress: (e) => void (e.type === 'step' && losses.push(e.loss!)) });
      tf.dispose(r.weights);
      return losses;
    };
    const a = await curve(7);
    const b = await curve(7);
    const c = await curve(8);
    expect(a).toHaveLength(200);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    console.log(`200-step loss curves: seed 7 twice identical (last ${a[199]!.toFixed(6)}); seed 8 differs at ${a.filter((x, i) => x !== c[i]).length}/200 steps`);
  });

  it('learns a separable toy task, and the linear probe trains on cached features', async () => {
    const pt = await tune({ backbone, data: { train: toy(48), dev: toy(12, 1), labels }, config: { epochs: 4, batchSize: 8, promptLength: 4, seed: 3, lr: 0.03, headLr: 0.05 } });
    expect(pt.metrics.devAccuracy).toBeGreaterThanOrEqual(0.9);
    tf.dispose(pt.weights);
    const probe = await tune({ backbone, data: { train: toy(48), dev: toy(12, 1), labels }, config: { method: 'linear-probe', epochs: 20, batchSize: 8, seed: 3, headLr: 0.05 } });
    expect(probe.metrics.devAccuracy).toBeGreaterThanOrEqual(0.9);
    expect(Object.keys(probe.weights).sort()).toEqual(['head/bias', 'head/kernel']);
    tf.dispose(probe.weights);
  });

  it('rejects bad input with typed errors and leaves nothing allocated', async () => {
    const start = tf.memory().numTensors;
    const bad = [...toy(4), { id: 'x:1', text: 'odd', label: 5 }];
    await expect(tune({ backbone, data: { train: bad, dev: toy(2), labels } })).rejects.toMatchObject({ code: 'LABEL_UNKNOWN', message: expect.stringContaining('x:1') });
    await expect(tune({ backbone, data: { train: [], dev: toy(2), labels } })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(tune({ backbone, data: { train: toy(4), dev: toy(2), labels }, config: { promptLength: 128 } })).rejects.toMatchObject({ code: 'PROMPT_TOO_LONG' });
    await expect(tune({ backbone, data: { train: toy(4), dev: toy(2), labels }, config: { epochs: 0 } as never })).rejects.toThrow();
    expect(tf.memory().numTensors).toBe(start);
  });
});
