import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@panda/runtime';
import { loadUseLite, type Backbone } from '@panda/backbones';
import { pearsonAndSpearman, type Example } from '@panda/datasets';
import { encodeExamples, secondTower } from '../data/batches.js';
import { pairFeatures } from '../eval/evaluate.js';
import { tune } from './tune.js';
import { meanSquaredError } from './loss.js';

let backbone: Backbone;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  backbone = await loadUseLite();
});
afterAll(() => backbone.dispose());

// Sentence pairs with a similarity score, STS-B style: 5 for a paraphrase, 0 for unrelated sentences.
const PAIRS: Array<[string, string, number]> = [
  ['a man is playing a guitar', 'a man plays the guitar', 5],
  ['a woman is slicing an onion', 'a woman cuts an onion', 5],
  ['the cat sleeps on the sofa', 'a cat is sleeping on a couch', 5],
  ['two dogs run in the park', 'two dogs are running through a park', 5],
  ['a man is playing a guitar', 'the stock market fell sharply today', 0],
  ['a woman is slicing an onion', 'the train leaves at noon', 0],
  ['the cat sleeps on the sofa', 'parliament passed the budget', 0],
  ['two dogs run in the park', 'prices of oil rose again', 0],
];
function pairs(n: number, offset = 0): Example[] {
  return Array.from({ length: n }, (_, i) => {
    const [text, textB, label] = PAIRS[(i + offset) % PAIRS.length]!;
    return { id: `sts:${i + offset}`, text, textB, label: label + ((i * 7) % 5) * 0.1 };
  });
}

describe('regression (STS-B-style one-output head)', () => {
  it('is plain mean squared error', () => {
    const v = tf.tidy(() => meanSquaredError(tf.tensor2d([[1], [3]]), tf.tensor1d([0, 5])).dataSync()[0]);
    expect(v).toBeCloseTo((1 + 4) / 2, 6);
  });

  it('trains a one-output head, scores dev by mean(Pearson, Spearman) and reports no accuracy', async () => {
    const start = tf.memory().numTensors;
    const events: Array<Record<string, number | undefined>> = [];
    const r = await tune({
      backbone,
      data: { train: pairs(48), dev: pairs(16, 3), test: pairs(8, 5), labels: [], objective: 'regression' },
      config: { method: 'prompt-tuning', pairEncoding: 'joined', epochs: 4, batchSize: 8, promptLength: 4, seed: 5, lr: 0.03, headLr: 0.05 },
      onProgress: (e) => void (e.type === 'eval' && events.push(e.metrics as Record<string, number | undefined>)),
    });
    expect(r.objective).toBe('regression');
    expect(r.metrics.metric).toBe('pearson_and_spearman');
    expect(r.metrics.devAccuracy).toBeUndefined();
    expect(r.metrics.devScore).toBeGreaterThan(0.8);
    expect(r.metrics.testScore).toBeGreaterThan(0.5);
    expect(r.weights['head/kernel']!.shape).toEqual([512, 1]);
    expect(r.history.map((h) => h.devScore)).toContain(r.metrics.devScore);
    expect(events.length).toBe(4);
    expect(events.every((m) => m.devAccuracy === undefined && typeof m.devScore === 'number')).toBe(true);
    tf.dispose(r.weights);
    expect(tf.memory().numTensors).toBe(start);
  });

  it('distils from a regression teacher (PANDA on STS-B) with the KD term on the single output', async () => {
    const data = { train: pairs(32), dev: pairs(16, 3), labels: [] as string[], objective: 'regression' as const };
    const teacher = await tune({ backbone, data, config: { method: 'prompt-tuning', epochs: 2, batchSize: 8, promptLength: 4, seed: 6 } });
    const student = await tune({
      backbone,
      data,
      config: { method: 'prompt-tuning', epochs: 2, batchSize: 8, promptLength: 4, seed: 7 },
      distill: { teachers: [{ weights: teacher.weights, beta: 0.8, name: 'sts-teacher' }], config: { lambda: 0.1 } },
    });
    expect(student.distill?.teachers[0]).toMatchObject({ name: 'sts-teacher', beta: 0.8 });
    expect(Number.isFinite(student.metrics.devScore)).toBe(true);
    tf.dispose([teacher.weights, student.weights]);
  });

  it('two-tower pairs: each text through the prompt, the head on [u, v, |u − v|, u·v], the same features in evaluation', async () => {
    const start = tf.memory().numTensors;
    const data = { train: pairs(48), dev: pairs(16, 3), labels: [] as string[], objective: 'regression' as const };
    const r = await tune({ backbone, data, config: { method: 'prompt-tuning', pairEncoding: 'two-tower', epochs: 4, batchSize: 8, promptLength: 4, seed: 5, lr: 0.03, headLr: 0.05 } });
    expect(r.weights['head/kernel']!.shape).toEqual([4 * 512, 1]);
    expect(r.metrics.devScore).toBeGreaterThan(0.8);
    // The reported dev score is the one the saved prompt and head give on separately embedded texts.
    const dev = encodeExamples(backbone.tokenizer, data.dev, 124, undefined, 'two-tower');
    // An independent reference: every text through the encoder on its own, with the saved prompt.
    const embedEach = (ids: number[][]) =>
      tf.tidy(() => tf.concat(ids.map((row) => backbone.encoder.forward({ ids: tf.tensor2d([row], [1, row.length], 'int32'), mask: tf.ones([1, row.length]) as tf.Tensor2D, prompt: r.weights.prompt as tf.Tensor2D }).embedding), 0) as tf.Tensor2D); // [N, 512]
    const u = embedEach(dev.ids);
    const v = embedEach(secondTower(dev)!.ids);
    const out = tf.tidy(() => tf.add(tf.matMul(pairFeatures(u, v), r.weights['head/kernel'] as tf.Tensor2D), r.weights['head/bias']!).dataSync());
    expect(pearsonAndSpearman(Array.from(out), data.dev.map((e) => e.label))).toBeCloseTo(r.metrics.devScore, 6);
    // A teacher of the same encoding distils into a two-tower student; a joined student refuses its head.
    const student = await tune({
      backbone,
      data,
      config: { method: 'prompt-tuning', pairEncoding: 'two-tower', epochs: 1, batchSize: 8, promptLength: 4, seed: 7 },
      distill: { teachers: [{ weights: r.weights, beta: 0.5 }] },
    });
    expect(student.distill?.cachedTeacherLogits).toBe(true);
    await expect(tune({ backbone, data, config: { epochs: 1, promptLength: 4, pairEncoding: 'joined' }, distill: { teachers: [{ weights: r.weights, beta: 0.5 }] } })).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    tf.dispose([u, v, r.weights, student.weights]);
    expect(tf.memory().numTensors).toBe(start);
  });

  it('refuses a non-numeric target with LABEL_UNKNOWN naming the example', async () => {
    const bad = [...pairs(4), { id: 'sts:bad', text: 'a', textB: 'b', label: Number.NaN }];
    await expect(tune({ backbone, data: { train: bad, dev: pairs(2), labels: [], objective: 'regression' } })).rejects.toMatchObject({ code: 'LABEL_UNKNOWN', message: expect.stringContaining('sts:bad') });
  });
});
