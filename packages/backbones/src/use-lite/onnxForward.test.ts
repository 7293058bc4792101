/**
 * The generated ONNX graph of USE-Lite on onnxruntime against the TensorFlow.js encoder: the same
 * outputs (embedding ≤ 1e-5, pooled ≤ 1e-5 of its scale) without an injection, with a soft prompt, with a deep
 * prefix and with both, on ragged batches, tokens past 128 and an all-empty batch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@panda/runtime';
import { loadOnnxRuntime } from '@panda/runtime/onnx';
import { UseLiteEncoder } from './encoder.js';
import { UseLiteOnnxForward } from './onnxForward.js';
import { randomBatch } from '../testing/randomBatch.js';

const ort = await loadOnnxRuntime();
let enc: UseLiteEncoder;
let onnx: UseLiteOnnxForward;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  enc = await UseLiteEncoder.load();
  if (ort) onnx = (await UseLiteOnnxForward.create(enc))!;
});
afterAll(async () => {
  await onnx?.dispose();
  enc?.dispose();
});

const maxAbs = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

describe.skipIf(!ort)('USE-Lite forward on onnxruntime', () => {
  const prompt = tf.randomNormal([4, 256], 0, 0.5, 'float32', 11) as tf.Tensor2D;
  const prefix = tf.randomNormal([3, 1536], 0, 0.5, 'float32', 12) as tf.Tensor2D;
  for (const [name, inject] of [
    ['plain', {}],
    ['prompt', { prompt }],
    ['prefix', { prefix }],
    ['prompt + prefix', { prompt, prefix }],
  ] as const) {
    it(`${name}: equals encoder.forward to 1e-5 on a ragged batch`, async () => {
      const { ids, mask } = randomBatch([9, 3, 30, 1], 7);
      const ref = enc.forward({ ids, mask, ...inject });
      const got = await onnx.forward({ ids, mask, ...inject });
      // The unit-norm embedding (what heads read) to 1e-5 absolute; the pooled mean (entries up to
      // about 15) to 1e-5 relative to its largest entry: float32 rounding of other summation orders.
      const scale = tf.tidy(() => tf.max(tf.abs(ref.pooled)).dataSync()[0]!);
      expect(maxAbs(got.embedding, ref.embedding)).toBeLessThan(1e-5);
      expect(maxAbs(got.pooled, ref.pooled)).toBeLessThan(1e-5 * scale);
      tf.dispose([ids, mask, ref.pooled, ref.embedding, got.pooled, got.embedding]);
    });
  }

  it('drops tokens past 128 and gives an all-empty batch the encoder’s output', async () => {
    const long = randomBatch([140, 20], 3);
    const empty = { ids: tf.zeros([2, 0], 'int32') as tf.Tensor2D, mask: tf.zeros([2, 0]) as tf.Tensor2D };
    for (const batch of [long, empty]) {
      const ref = enc.forward(batch);
      const got = await onnx.forward(batch);
      expect(maxAbs(got.embedding, ref.embedding)).toBeLessThan(1e-5);
      tf.dispose([ref.pooled, ref.embedding, got.pooled, got.embedding, batch.ids, batch.mask]);
    }
  });
});

describe.skipIf(!ort)('the USE-Lite backbone’s inference engine', () => {
  it('is made once, runs the ONNX forward, and declines inputs only training makes', async () => {
    const { loadUseLite } = await import('./backbone.js');
    const backbone = await loadUseLite();
    try {
      const engine = await backbone.inference!();
      expect(engine?.name).toBe('onnxruntime');
      expect(await backbone.inference!()).toBe(engine);
      const { ids, mask } = randomBatch([5, 2], 9);
      const prefix3 = tf.zeros([2, 3, 1536]) as tf.Tensor3D;
      expect(engine!.accepts({ ids, mask })).toBe(true);
      expect(engine!.accepts({ ids, mask, prefix: prefix3 })).toBe(false);
      expect(engine!.accepts({ ids, mask, prefixMask: tf.ones([2, 3]) as tf.Tensor2D })).toBe(false);
      expect(engine!.accepts({ ids, mask, soft: { rows: tf.zeros([1, 256]) as tf.Tensor2D, index: tf.zeros([2, 5], 'int32') as tf.Tensor2D } })).toBe(false);
      const got = await engine!.forward({ ids, mask });
      const ref = backbone.encoder.forward({ ids, mask });
      expect(maxAbs(got.embedding, ref.embedding)).toBeLessThan(1e-5);
      tf.dispose([ids, mask, prefix3, got.pooled, got.embedding, ref.pooled, ref.embedding]);
    } finally {
      backbone.dispose();
    }
  });
});
