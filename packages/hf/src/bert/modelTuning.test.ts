/**
 * Model tuning on Hugging Face backbones (tiny BERT and RoBERTa): the trainable copy computes what
 * the frozen encoder computes (whose outputs match PyTorch's, parity.test.ts), its weight gradients
 * agree with finite differences, a step moves every weight and leaves the frozen encoder untouched
 * without leaking, and `tune()` with method model-tuning lowers the loss.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { tune } from '@panda/tuner';
import { loadHfBackbone } from '../load.js';
import { useTinyModels } from '../testing/tinyModels.js';
import { ARCHS, fixtureDir, maxAbsDiff, type Arch } from '../testing/fixtures.js';
import { bertWeightTensors, namedBertWeights } from './weights.js';

const { backbones, refs } = useTinyModels();

const host = (ts: tf.Tensor[]) => ts.map((t) => Buffer.from(Float32Array.from(t.dataSync() as Float32Array).buffer));
const batchOf = (arch: Arch) => {
  const t = refs[arch]!.tensors;
  return { ids: t['input/ids'] as tf.Tensor2D, mask: t['input/mask'] as tf.Tensor2D, prompt: t['input/prompt'] as tf.Tensor2D };
};

describe.each(ARCHS)('model tuning on tiny %s', (arch) => {
  it('the trainable copy computes what the frozen encoder computes, with and without a prompt', () => {
    const enc = backbones[arch]!.encoder;
    const copy = enc.trainableCopy();
    try {
      const { ids, mask, prompt } = batchOf(arch);
      const d = tf.tidy(() => [
        maxAbsDiff(copy.forward({ ids, mask }).embedding, enc.forward({ ids, mask }).embedding),
        maxAbsDiff(copy.forward({ ids, mask }).pooled, enc.forward({ ids, mask }).pooled),
        maxAbsDiff(copy.forward({ ids, mask, prompt }).embedding, enc.forward({ ids, mask, prompt }).embedding),
      ]);
      for (const x of d) expect(x).toBeLessThan(1e-6);
      expect(copy.trainable).toBe(true);
      expect(Object.keys(enc.variables())).toEqual([]);
      const names = Object.keys(copy.variables());
      // Every encoder weight (the masked-LM head is not part of the sentence encoder).
      expect(names.sort()).toEqual(Object.keys(namedBertWeights(enc.weights)).sort());
      expect(names).toContain('layer1/qkv/w');
      expect(names).toContain('embeddings/ln/beta');
    } finally {
      copy.dispose();
    }
  });

  it('weight gradients agree with finite differences (embeddings, fused qkv, layer norm, feed-forward, pooler)', () => {
    const copy = backbones[arch]!.encoder.trainableCopy();
    try {
      const vars = copy.variables();
      const { ids, mask, prompt } = batchOf(arch);
      const w = tf.randomNormal([ids.shape[0], copy.hidden], 0, 1, 'float32', 7);
      const names = ['embeddings/word', 'layer0/qkv/w', 'layer1/attnLn/gamma', 'layer0/inter/b', 'layer1/out/w', ...(vars['pooler/w'] ? ['pooler/w'] : [])];
      const picked = names.map((n) => vars[n]!);
      const dirs = picked.map((v, i) => tf.tidy(() => {
        const d = tf.randomNormal(v.shape, 0, 1, 'float32', 100 + i);
        return tf.div(d, tf.norm(d));
      }));
      const f = () => tf.sum(tf.mul(copy.forward({ ids, mask, prompt }).embedding, w)) as tf.Scalar;
      const grads = tf.tidy(() => tf.variableGrads(f, picked).grads);
      const eps = 1e-2;
      picked.forEach((v, i) => {
        const analytic = tf.tidy(() => tf.sum(tf.mul(grads[v.name]!, dirs[i]!)).dataSync()[0]!);
        const at = (sign: number) => {
          const saved = tf.clone(v);
          v.assign(tf.tidy(() => tf.add(v, tf.mul(dirs[i]!, sign * eps))));
          const value = tf.tidy(() => f().dataSync()[0]!);
          v.assign(saved);
          saved.dispose();
          return value;
        };
        const numeric = (at(1) - at(-1)) / (2 * eps);
        expect(Math.abs(analytic - numeric), `${names[i]}: ${analytic} vs ${numeric}`).toBeLessThanOrEqual(1e-2 * Math.max(0.1, Math.abs(analytic)));
      });
      tf.dispose(Object.values(grads));
      tf.dispose([w, ...dirs]);
    } finally {
      copy.dispose();
    }
  });

  it('a step moves every weight, leaves the frozen encoder untouched, and leaks nothing per step', () => {
    const enc = backbones[arch]!.encoder;
    const frozenBefore = host(bertWeightTensors(enc.weights));
    const copy = enc.trainableCopy();
    const list = Object.values(copy.variables());
    const start = host(list);
    const { ids, mask } = batchOf(arch);
    const target = tf.randomNormal([ids.shape[0], copy.hidden], 0, 1, 'float32', 4);
    const counts: number[] = [];
    for (let step = 0; step < 3; step++) {
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => tf.sum(tf.mul(copy.forward({ ids, mask }).embedding, target)) as tf.Scalar, list);
        for (const v of list) v.assign(tf.sub(v, tf.mul(tf.sign(grads[v.name]!), 1e-3)));
      });
      counts.push(tf.memory().numTensors);
    }
    expect(new Set(counts).size).toBe(1);
    const after = host(list);
    expect(Object.keys(copy.variables()).filter((_, i) => after[i]!.equals(start[i]!))).toEqual([]);
    const before = tf.memory().numTensors;
    copy.dispose();
    expect(tf.memory().numTensors).toBeLessThan(before);
    expect(host(bertWeightTensors(enc.weights)).every((b, i) => b.equals(frozenBefore[i]!))).toBe(true);
    target.dispose();
  });
});

describe('tune() with model-tuning on a Hugging Face backbone', () => {
  it('lowers the training loss on tiny BERT and leaves the backbone unchanged', async () => {
    const backbone = await loadHfBackbone(fixtureDir('bert'));
    try {
      const before = host(bertWeightTensors(backbone.encoder.weights));
      const words = ['good', 'bad'];
      const data = (n: number, off: number) => Array.from({ length: n }, (_, i) => ({ id: `t:${i + off}`, text: `the film was ${words[(i + off) % 2]} and long`, label: (i + off) % 2 }));
      const losses: number[] = [];
      const r = await tune({
        backbone,
        data: { train: data(32, 0), dev: data(16, 100), labels: ['pos', 'neg'] },
        config: { method: 'model-tuning', epochs: 4, batchSize: 8, modelLr: 1e-3, headLr: 0.05, seed: 2, schedule: 'constant' },
        onProgress: (e) => void (e.type === 'step' && losses.push(e.loss ?? Number.NaN)),
      });
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      expect(mean(losses.slice(-4))).toBeLessThan(mean(losses.slice(0, 4)));
      expect(Object.keys(r.weights).filter((k) => k.startsWith('encoder/')).length).toBe(Object.keys(namedBertWeights(backbone.encoder.weights)).length);
      tf.dispose(Object.values(r.weights));
      expect(host(bertWeightTensors(backbone.encoder.weights)).every((b, i) => b.equals(before[i]!))).toBe(true);
    } finally {
      backbone.dispose();
    }
  });
});
