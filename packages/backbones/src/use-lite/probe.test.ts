import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@panda/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UseLiteEncoder } from './encoder.js';
import { randomBatch } from '../testing/randomBatch.js';

let enc: UseLiteEncoder;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  enc = await UseLiteEncoder.load();
});
afterAll(() => enc?.dispose());

const batch = randomBatch;

describe('UseLiteEncoder.probe', () => {
  for (const m of [0, 4]) {
    it(`last layer's token rows pool to forward()'s pooled output (prompt of ${m} rows)`, () => {
      const { ids, mask } = batch([5, 9, 2], 3);
      const prompt = m ? tf.randomNormal([m, 256], 0, 0.3, 'float32', 5) as tf.Tensor2D : undefined;
      const before = tf.memory().numTensors;
      const probe = enc.probe({ ids, mask, ...(prompt ? { prompt } : {}) });
      const out = enc.forward({ ids, mask, ...(prompt ? { prompt } : {}) });
      expect(probe.offset).toBe(m);
      expect(probe.hidden).toHaveLength(2);
      expect(probe.ffn).toHaveLength(2);
      expect(probe.hidden[1]!.shape).toEqual([3, m + 9, 512]);
      expect(probe.ffn[0]!.shape).toEqual([3, m + 9, 1536]);
      const tokens = tf.slice(probe.hidden[1]!, [0, m, 0], [3, 9, 512]) as tf.Tensor3D;
      const pooled = enc.pool(tokens, mask);
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(pooled, out.pooled))).dataSync()[0]!);
      expect(diff).toBeLessThan(1e-5);
      expect(tf.tidy(() => tf.min(probe.ffn[1]!).dataSync()[0])).toBeGreaterThanOrEqual(0); // relu outputs
      tf.dispose([tokens, pooled, out.pooled, out.embedding, ...probe.hidden, ...probe.ffn]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([ids, mask, ...(prompt ? [prompt] : [])]);
    });
  }
});
