import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@panda/runtime';
import { tune } from '@panda/tuner';
import type { Example } from '@panda/datasets';
import { loadHfBackbone } from './load.js';

const POS = ['great', 'good', 'fine', 'love'];
const NEG = ['terrible', 'bad', 'boring', 'hate'];
const FILL = ['the', 'movie', 'film', 'plot', 'acting', 'story', 'was', 'is', 'really', 'very', 'quite', 'so'];
function data(n: number, offset: number): Example[] {
  return Array.from({ length: n }, (_, i) => {
    const k = i + offset;
    const label = k % 2;
    const words = Array.from({ length: 3 + (k % 4) }, (_, j) => FILL[(k * 7 + j * 3) % FILL.length]!);
    words.splice(1 + (k % 2), 0, (label ? POS : NEG)[(k >> 1) % 4]!);
    return { id: `toy:${k}`, text: words.join(' '), label };
  });
}

describe('tune() on Hugging Face backbones (tiny fixtures)', () => {
  for (const [arch, offset, method] of [
    ['bert', false, 'deep-prompt-tuning'],
    ['roberta', true, 'deep-prompt-tuning'],
    ['bert', false, 'prompt-tuning'],
  ] as const) {
    it(`${method} on tiny ${arch}${offset ? ' (position offset on)' : ''}: the loss falls and the encoder stays bit-identical`, async () => {
      await initBackend({ backend: 'wasm' });
      const backbone = await loadHfBackbone(fileURLToPath(new URL(`../fixtures/tiny-${arch}`, import.meta.url)), { prefixPositionOffset: offset });
      try {
        const snapshot = () =>
          (backbone.encoder.weights.layers.flatMap((l) => [l.qkv.w, l.out.w, l.attnLn.gamma]).concat([backbone.encoder.weights.wordEmbeddings]) as tf.Tensor[]).map((t) => Buffer.from((t.dataSync() as Float32Array).buffer.slice(0)));
        const before = snapshot();
        const losses: number[] = [];
        const r = await tune({
          backbone,
          data: { train: data(32, 0), dev: data(16, 100), labels: ['neg', 'pos'] },
          config: { method, promptLength: 4, epochs: 4, batchSize: 8, lr: 0.05, headLr: 0.05, seed: 3, schedule: 'constant', prefixInit: 'matched' },
          onProgress: (e) => void (e.type === 'step' && losses.push(e.loss ?? Number.NaN)),
        });
        const after = snapshot();
        expect(after.every((b, i) => b.equals(before[i]!))).toBe(true);
        const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
        expect(mean(losses.slice(-4))).toBeLessThan(mean(losses.slice(0, 4)));
        if (method === 'deep-prompt-tuning') expect(r.weights.prefix!.shape).toEqual([4, 2 * 2 * 32]);
        else expect(r.weights.prompt!.shape).toEqual([4, 32]);
        tf.dispose(Object.values(r.weights));
      } finally {
        backbone.dispose();
      }
    });
  }
});
