import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@panda/runtime';
import { isPandaError } from '@panda/core';
import { loadUseLite, type Backbone } from '@panda/backbones';
import type { Example } from '@panda/datasets';
import { tune } from '../train/tune.js';
import { crossEntropy } from '../train/loss.js';
import { encodeExamples, padBatch } from '../data/batches.js';
import { kdLoss } from './kdLoss.js';
import { betaAt } from './betaSchedule.js';

let backbone: Backbone;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  backbone = await loadUseLite();
});
afterAll(() => backbone.dispose());

const GOOD = ['a wonderful film', 'great acting and a moving story', 'i loved every minute', 'superb and funny'];
const BAD = ['a dull mess', 'boring and far too long', 'i hated it', 'awful script'];
const toy = (n: number, offset = 0): Example[] =>
  Array.from({ length: n }, (_, i) => {
    const pos = (i + offset) % 2 === 0;
    const pool = pos ? GOOD : BAD;
    return { id: `toy:${i + offset}`, text: pool[(i + offset) % pool.length]!, label: pos ? 1 : 0 };
  });
const labels = ['negative', 'positive'];

/** Fixed weights for a prompt-tuning student or teacher: prompt [4, 256] and a head [512, 2]. */
function weights(seed: number): Record<string, tf.Tensor> {
  return {
    prompt: tf.randomNormal([4, 256], 0, 0.5, 'float32', seed),
    'head/kernel': tf.randomNormal([512, 2], 0, 0.3, 'float32', seed + 1),
    'head/bias': tf.randomNormal([2], 0, 0.1, 'float32', seed + 2),
  };
}

describe('kdLoss', () => {
  it("is mean((z_S − z_T)²) / B with kdNorm 'panda' and the plain mean with 'mean'", () => {
    const s = tf.tensor2d([[1, 2], [3, 4]]);
    const t = tf.tensor2d([[0, 2], [3, 2]]);
    // squared differences 1, 0, 0, 4 → mean 1.25; B = 2
    expect(kdLoss(s, t, 'mean', 2).dataSync()[0]).toBeCloseTo(1.25, 6);
    expect(kdLoss(s, t, 'panda', 2).dataSync()[0]).toBeCloseTo(0.625, 6);
    tf.dispose([s, t]);
  });
});

describe('betaAt', () => {
  it('follows the released get_beta / get_beta2 shapes', () => {
    expect(betaAt('constant', 0.4, 7.5, 20)).toBe(0.4);
    // E = 20 → w = 2 warm-up epochs
    expect(betaAt('warmup-decay', 0.4, 1, 20)).toBeCloseTo(0.2, 12);
    expect(betaAt('hold-decay', 0.4, 1, 20)).toBeCloseTo(0.4, 12);
    expect(betaAt('warmup-decay', 0.4, 2, 20)).toBeCloseTo(0.4, 12);
    expect(betaAt('hold-decay', 0.4, 11, 20)).toBeCloseTo(0.2, 12);
    expect(betaAt('hold-decay', 0.4, 20, 20)).toBeCloseTo(0, 12);
  });
});

describe('tune with distillation (PANDA loss)', () => {
  it('reports L_task + λ·β·mse/B at the first step, computed independently', async () => {
    const train = toy(8);
    const student = weights(11);
    const teacher = weights(21);
    const losses: number[] = [];
    const r = await tune({
      backbone,
      data: { train, dev: toy(4, 1), labels },
      config: { epochs: 1, batchSize: 8, promptLength: 4, seed: 3 },
      init: student,
      distill: { teachers: [{ weights: teacher, beta: 0.7 }], config: { lambda: 0.1 } },
      onProgress: (e) => {
        if (e.type === 'step') losses.push(e.loss ?? Number.NaN);
      },
    });
    tf.dispose(r.weights);
    expect(r.distill?.teachers[0]?.beta).toBe(0.7);
    expect(r.init?.keys).toEqual(['head/bias', 'head/kernel', 'prompt']);
    // By hand: the whole set is one batch; order does not change a mean.
    const set = encodeExamples(backbone.tokenizer, train, 128 - 4);
    const expected = tf.tidy(() => {
      const { ids, mask } = padBatch(set, set.ids.map((_, i) => i), backbone.tokenizer.padId);
      const logits = (w: Record<string, tf.Tensor>) =>
        tf.add(tf.matMul(backbone.encoder.forward({ ids, mask, prompt: w.prompt as tf.Tensor2D }).embedding, w['head/kernel'] as tf.Tensor2D), w['head/bias']!) as tf.Tensor2D;
      const zs = logits(student);
      const zt = logits(teacher);
      const ce = crossEntropy(zs, tf.tensor1d(set.labels, 'int32'));
      const mse = tf.mean(tf.square(tf.sub(zs, zt)));
      return tf.add(ce, tf.mul(0.1 * 0.7, tf.div(mse, 8))).dataSync()[0]!;
    });
    expect(losses[0]!).toBeCloseTo(expected, 5);
    tf.dispose([student, teacher].flatMap((w) => Object.values(w)));
  });

  it('with λ = 0 gives exactly the run without a teacher', async () => {
    const base = { backbone, data: { train: toy(16), dev: toy(4, 1), labels }, config: { epochs: 2, batchSize: 4, promptLength: 4, seed: 5 } };
    const teacher = weights(31);
    const a = await tune(base);
    const b = await tune({ ...base, distill: { teachers: [{ weights: teacher, beta: 1 }], config: { lambda: 0 } } });
    expect(b.history.map((h) => h.trainLoss)).toEqual(a.history.map((h) => h.trainLoss));
    expect(Buffer.from((b.weights.prompt!.dataSync() as Float32Array).buffer).equals(Buffer.from((a.weights.prompt!.dataSync() as Float32Array).buffer))).toBe(true);
    tf.dispose([a.weights, b.weights, teacher]);
  });

  it('cached teacher logits give the same run as a teacher forward every step, and no tensor leaks', async () => {
    const base = { backbone, data: { train: toy(16), dev: toy(4, 1), labels }, config: { epochs: 1, batchSize: 4, promptLength: 4, seed: 6 } };
    const teacher = weights(41);
    const before = tf.memory().numTensors;
    const cached = await tune({ ...base, distill: { teachers: [{ weights: teacher, beta: 0.5 }], config: { cacheTeacherLogits: true } } });
    const live = await tune({ ...base, distill: { teachers: [{ weights: teacher, beta: 0.5 }], config: { cacheTeacherLogits: false } } });
    expect(cached.distill?.cachedTeacherLogits).toBe(true);
    expect(live.distill?.cachedTeacherLogits).toBe(false);
    const d = tf.tidy(() => tf.max(tf.abs(tf.sub(cached.weights.prompt!, live.weights.prompt!))).dataSync()[0]!);
    expect(d).toBeLessThan(1e-6);
    tf.dispose([cached.weights, live.weights]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(teacher);
  });

  it('accumulating 2 micro-batches equals the full batch with the KD term too', async () => {
    const base = { backbone, data: { train: toy(16), dev: toy(4, 1), labels }, config: { epochs: 1, batchSize: 8, promptLength: 4, seed: 7 } };
    const teacher = weights(51);
    const full = await tune({ ...base, distill: { teachers: [{ weights: teacher, beta: 1 }], config: { lambda: 5 } } });
    const acc = await tune({ ...base, config: { ...base.config, gradAccumulation: 2 }, distill: { teachers: [{ weights: teacher, beta: 1 }], config: { lambda: 5 } } });
    const d = tf.tidy(() => tf.max(tf.abs(tf.sub(full.weights.prompt!, acc.weights.prompt!))).dataSync()[0]!);
    expect(d).toBeLessThan(1e-5);
    tf.dispose([full.weights, acc.weights, teacher]);
  });

  it('refuses an init key the method does not train and a wrong shape', async () => {
    const base = { backbone, data: { train: toy(8), dev: toy(4, 1), labels }, config: { epochs: 1, batchSize: 4, promptLength: 4, seed: 8 } };
    const prefix = tf.zeros([4, 1536]);
    const short = tf.zeros([3, 256]);
    const before = tf.memory().numTensors;
    await expect(tune({ ...base, init: { prefix } })).rejects.toSatisfy((e) => isPandaError(e, 'CONFIG_INVALID'));
    await expect(tune({ ...base, init: { prompt: short } })).rejects.toSatisfy((e) => isPandaError(e, 'SHAPE_MISMATCH'));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([prefix, short]);
  });
});
