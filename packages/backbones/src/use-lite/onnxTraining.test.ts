/**
 * USE-Lite's training passes on onnxruntime (the generated forward that keeps its values, and the
 * hand-written backward) against the TensorFlow.js encoder and its autodiff: the same embedding,
 * and the same gradients of Σ(embedding ⊙ G) with respect to the prompt rows and the prefix table
 * (shared and per example), on ragged batches.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@panda/runtime';
import { loadOnnxRuntime } from '@panda/runtime/onnx';
import type { EncoderInput } from '../backbone.js';
import { UseLiteEncoder } from './encoder.js';
import { UseLiteOnnxTraining } from './onnxTraining.js';
import { randomBatch } from '../testing/randomBatch.js';

const ort = await loadOnnxRuntime();
let enc: UseLiteEncoder;
let engine: UseLiteOnnxTraining;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  enc = await UseLiteEncoder.load();
  if (ort) engine = (await UseLiteOnnxTraining.create(enc))!;
});
afterAll(async () => {
  await engine?.dispose();
  enc?.dispose();
});

const maxAbs = (a: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(a)).dataSync()[0]!);
const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => maxAbs(tf.sub(a, b)));

/** The reference: embedding and d Σ(embedding ⊙ G) / d(prompt, prefix) by TensorFlow.js autodiff. */
function reference(input: EncoderInput, g: tf.Tensor2D): { embedding: tf.Tensor2D; prompt?: tf.Tensor; prefix?: tf.Tensor } {
  const names = (['prompt', 'prefix'] as const).filter((k) => input[k]);
  const xs = names.map((k) => input[k]!);
  const f = (...vs: tf.Tensor[]) => {
    const patched = { ...input, ...Object.fromEntries(names.map((k, i) => [k, vs[i]])) } as EncoderInput;
    return tf.sum(tf.mul(enc.forward(patched).embedding, g)) as tf.Scalar;
  };
  const grads = tf.grads(f)(xs);
  const embedding = tf.tidy(() => enc.forward(input).embedding);
  return { embedding, ...Object.fromEntries(names.map((k, i) => [k, grads[i]])) };
}

describe.skipIf(!ort)('USE-Lite training passes on onnxruntime', () => {
  const prompt = tf.randomNormal([4, 256], 0, 0.5, 'float32', 11) as tf.Tensor2D;
  const prefix = tf.randomNormal([3, 1536], 0, 0.5, 'float32', 12) as tf.Tensor2D;
  const perExample = tf.randomNormal([4, 3, 1536], 0, 0.5, 'float32', 13) as tf.Tensor3D;
  for (const [name, inject] of [
    ['prompt', { prompt }],
    ['shared prefix', { prefix }],
    ['per-example prefix', { prefix: perExample }],
    ['prompt + per-example prefix', { prompt, prefix: perExample }],
  ] as const) {
    it(`${name}: embedding and gradients equal TensorFlow.js autodiff`, async () => {
      const { ids, mask } = randomBatch([9, 3, 30, 1], 7);
      const input: EncoderInput = { ids, mask, ...inject };
      const g = tf.randomNormal([4, 512], 0, 1, 'float32', 5) as tf.Tensor2D;
      const ref = reference(input, g);
      expect(engine.accepts(input)).toBe(true);
      const pass = await engine.forward(input);
      expect(maxDiff(pass.embedding, ref.embedding)).toBeLessThan(1e-5);
      const got = await pass.backward(g);
      for (const k of ['prompt', 'prefix'] as const) {
        if (!ref[k]) continue;
        expect(got[k]!.shape).toEqual(ref[k]!.shape);
        // Relative to the gradient's largest entry: float32 sums in other orders.
        expect(maxDiff(got[k]!, ref[k]!)).toBeLessThan(1e-5 * maxAbs(ref[k]!));
      }
      await expect(pass.backward(g)).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringContaining('released') });
      tf.dispose([ids, mask, g, pass.embedding, ...Object.values(ref), ...Object.values(got)]);
    });
  }

  it('declines soft tokens, prefix masks, segment ids, and the frozen encoder with nothing to train', () => {
    const { ids, mask } = randomBatch([5, 2], 9);
    expect(engine.accepts({ ids, mask })).toBe(false);
    expect(engine.accepts({ ids, mask, prefixMask: tf.ones([2, 3]) as tf.Tensor2D, prefix })).toBe(false);
    expect(engine.accepts({ ids, mask, typeIds: tf.zeros([2, 5], 'int32') as tf.Tensor2D })).toBe(false);
    expect(engine.accepts({ ids, mask, soft: { rows: tf.zeros([1, 256]) as tf.Tensor2D, index: tf.zeros([2, 5], 'int32') as tf.Tensor2D } })).toBe(false);
    tf.dispose([ids, mask]);
  });
});

describe.skipIf(!ort)('USE-Lite model-tuning passes on onnxruntime (weights as inputs)', () => {
  it('gives every weight’s gradient as TensorFlow.js autodiff does, on a tuned copy whose weights moved', async () => {
    const copy = enc.trainableCopy();
    try {
      const vars = copy.variables();
      // Move the copy away from the frozen weights, so a graph that read those would be caught.
      for (const v of Object.values(vars)) v.assign(tf.tidy(() => tf.add(v, tf.mul(tf.randomNormal(v.shape, 0, 1, 'float32', 3), tf.mul(tf.sqrt(tf.moments(v).variance), 0.05)))));
      const { ids, mask } = randomBatch([9, 3, 30, 1], 8);
      const g = tf.randomNormal([4, 512], 0, 1, 'float32', 6) as tf.Tensor2D;
      const ref = tf.variableGrads(() => tf.sum(tf.mul(copy.forward({ ids, mask }).embedding, g)) as tf.Scalar, Object.values(vars));
      const refEmbedding = tf.tidy(() => copy.forward({ ids, mask }).embedding);
      expect(engine.accepts({ ids, mask }, copy)).toBe(true);
      const pass = await engine.forward({ ids, mask }, copy);
      expect(maxDiff(pass.embedding, refEmbedding)).toBeLessThan(1e-5);
      const got = await pass.backward(g);
      expect(Object.keys(got.weights!).sort()).toEqual(Object.keys(ref.grads).sort());
      const rel: Array<[string, number]> = [];
      for (const [name, r] of Object.entries(ref.grads)) {
        expect(got.weights![name]!.shape, name).toEqual(r.shape);
        rel.push([name.split('/').slice(2).join('/'), maxDiff(got.weights![name]!, r) / Math.max(maxAbs(r), 1e-3)]);
      }
      console.log(`model tuning, |Δgrad| / max|grad| per weight: ${rel.map(([n, e]) => `${n} ${e.toExponential(1)}`).join(', ')}`);
      // Measured 1.4e-6 to 4.3e-6, and 1.0e-5 for the output head's kernel (its input, the pooled
      // mean, has entries up to about 15): float32 sums over B·L rows in other orders.
      for (const [name, e] of rel) expect(e, name).toBeLessThan(2e-5);
      tf.dispose([ids, mask, g, refEmbedding, pass.embedding, ref.value, ...Object.values(ref.grads), ...Object.values(got.weights!)]);
    } finally {
      copy.dispose();
    }
  });

  it('declines another model’s encoder', async () => {
    const other = await UseLiteEncoder.load();
    const { ids, mask } = randomBatch([5, 2], 9);
    expect(engine.accepts({ ids, mask }, other)).toBe(false);
    tf.dispose([ids, mask]);
    other.dispose();
  });
});
