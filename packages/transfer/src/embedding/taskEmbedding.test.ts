import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@panda/runtime';
import { loadUseLite, type Backbone } from '@panda/backbones';
import type { Example } from '@panda/datasets';
import { describeTask } from './taskEmbedding.js';
import { modelOfPrompt } from '@panda/tuner';
import { cosine } from '@panda/core';

let backbone: Backbone;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  backbone = await loadUseLite();
});
afterAll(() => backbone.dispose());

const texts = ['a wonderful film', 'i hated it', 'the stock market fell sharply', 'rain is expected tomorrow', 'what a boring plot', 'great acting'];
const examples: Example[] = texts.map((text, i) => ({ id: `x:${i}`, text, label: i % 2 }));

/** describeTask on the adapted model of bare prompt weights (freed after). */
function describeWith(weights: { prompt?: tf.Tensor2D; prefix?: tf.Tensor2D }, xs: Example[], config?: Parameters<typeof describeTask>[2]) {
  const model = modelOfPrompt(backbone, weights);
  try {
    return describeTask(model, xs, config);
  } finally {
    model.dispose();
  }
}

describe('describeTask', () => {
  it("without a prompt, 'sentence' is the mean of the encoder's sentence embeddings", () => {
    const d = describeWith({}, examples, { samples: 100 });
    expect(d.embedding).toHaveLength(512);
    expect(d.sampleIds.sort()).toEqual(examples.map((e) => e.id).sort());
    const direct = tf.tidy(() => {
      const ids = examples.map((e) => backbone.tokenizer.encode(e.text));
      const t = Math.max(...ids.map((r) => r.length));
      const flat = ids.flatMap((r) => [...r, ...new Array(t - r.length).fill(0)]);
      const mask = ids.flatMap((r) => [...r.map(() => 1), ...new Array(t - r.length).fill(0)]);
      const out = backbone.encoder.forward({ ids: tf.tensor2d(flat, [ids.length, t], 'int32'), mask: tf.tensor2d(mask, [ids.length, t]) });
      return tf.mean(out.embedding, 0).dataSync() as Float32Array;
    });
    let maxDiff = 0;
    for (let i = 0; i < 512; i++) maxDiff = Math.max(maxDiff, Math.abs(direct[i]! - d.embedding[i]!));
    expect(maxDiff).toBeLessThan(1e-5);
    // Activation rates: 2 layers × 1536 neurons, fractions of the 6 examples.
    expect(d.activationRate).toHaveLength(2 * 1536);
    expect(d.activationRate.every((r) => r >= 0 && r <= 1 && Number.isInteger(Math.round(r * 6 * 1e4) / 1e4))).toBe(true);
  });

  it('a prompt moves the embedding; it is deterministic; no tensor leaks; every token option works', () => {
    const prompt = tf.randomNormal([4, 256], 0, 1, 'float32', 9) as tf.Tensor2D;
    const prefix = tf.randomNormal([3, 1536], 0, 0.5, 'float32', 3) as tf.Tensor2D;
    // Warm-up: the backend creates a few constants once, on first use of an op.
    describeWith({ prefix }, examples, { samples: 3 });
    describeWith({ prompt }, examples, { samples: 3, token: 'mean' });
    const before = tf.memory().numTensors;
    const a = describeWith({ prompt }, examples);
    const b = describeWith({ prompt }, examples);
    const plain = describeWith({}, examples);
    expect(Buffer.from(a.embedding.buffer).equals(Buffer.from(b.embedding.buffer))).toBe(true);
    expect(cosine(a.embedding, plain.embedding)).toBeLessThan(0.9999);
    for (const token of ['mean', 'first'] as const) {
      const d = describeWith({ prompt }, examples, { token, layer: 0 });
      expect(d.embedding).toHaveLength(512);
      expect(d.embedding.some((x) => x !== 0)).toBe(true);
    }
    const deep = describeWith({ prefix }, examples, { samples: 3 });
    expect(deep.sampleIds).toHaveLength(3);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([prompt, prefix]);
  });
});
