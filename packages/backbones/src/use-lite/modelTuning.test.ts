import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@panda/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UseLiteEncoder } from './encoder.js';
import { randomBatch } from '../testing/randomBatch.js';
import { collectTensors } from './weights.js';

let enc: UseLiteEncoder;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  enc = await UseLiteEncoder.load();
});
afterAll(() => enc?.dispose());

const batch = randomBatch;
const host = (ts: tf.Tensor[]) => ts.map((t) => Buffer.from(Float32Array.from(t.dataSync() as Float32Array).buffer));
const maxAbs = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

describe('model tuning on USE-Lite (every weight trainable)', () => {
  it('a trainable copy computes exactly what the frozen encoder computes (with and without a prompt)', () => {
    const copy = enc.trainableCopy();
    const { ids, mask } = batch([9, 3, 14], 1);
    const prompt = tf.randomNormal([4, 256], 0, 0.5, 'float32', 2) as tf.Tensor2D;
    const d = tf.tidy(() => [
      maxAbs(copy.forward({ ids, mask }).embedding, enc.forward({ ids, mask }).embedding),
      maxAbs(copy.forward({ ids, mask }).pooled, enc.forward({ ids, mask }).pooled),
      maxAbs(copy.forward({ ids, mask, prompt }).pooled, enc.forward({ ids, mask, prompt }).pooled),
    ]);
    expect(d).toEqual([0, 0, 0]);
    expect(copy.trainable).toBe(true);
    expect(Object.keys(enc.variables())).toEqual([]);
    const names = Object.keys(copy.variables());
    expect(names).toContain('embeddings');
    expect(names).toContain('layer0/residualW');
    expect(names).toContain('layer1/qkvW');
    expect(names).toContain('tanhB');
    expect(names).not.toContain('invTimescales');
    // Every weight of the model except the timing signal's constant inverse timescales.
    expect(names.length).toBe(collectTensors(enc.weights).length - 1);
    tf.dispose([ids, mask, prompt]);
    copy.dispose();
  });

  it('weight gradients agree with finite differences (embedding rows, the split last-layer qkv kernel, layer norms, tanh head)', () => {
    const copy = enc.trainableCopy();
    const vars = copy.variables();
    const { ids, mask } = batch([6, 9], 5);
    const prompt = tf.randomNormal([3, 256], 0, 0.5, 'float32', 6) as tf.Tensor2D;
    const w = tf.randomNormal([2, 512], 0, 1, 'float32', 7);
    const names = ['embeddings', 'layer0/attnLnScale', 'layer1/qkvW', 'layer1/qkvB', 'layer0/residualW', 'tanhW'];
    const picked = names.map((n) => vars[n]!);
    // One unit-norm random direction per weight, checked one weight at a time.
    const dirs = picked.map((v, i) => tf.tidy(() => {
      const d = tf.randomNormal(v.shape, 0, 1, 'float32', 100 + i);
      return tf.div(d, tf.norm(d));
    }));
    const f = () => tf.sum(tf.mul(copy.forward({ ids, mask, prompt }).embedding, w)) as tf.Scalar;
    const eps = 1e-2;
    const grads = tf.tidy(() => tf.variableGrads(f, picked).grads);
    const report: string[] = [];
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
      report.push(`${names[i]} ${analytic.toFixed(5)} / ${numeric.toFixed(5)}`);
      expect(Math.abs(analytic - numeric)).toBeLessThanOrEqual(1e-2 * Math.max(0.1, Math.abs(analytic)));
    });
    console.log(`model tuning, directional derivatives (analytic / finite difference): ${report.join('; ')}`);
    tf.dispose(Object.values(grads));
    tf.dispose([ids, mask, prompt, w, ...dirs]);
    copy.dispose();
  });

  it('a step changes every weight, leaves the frozen encoder untouched, and leaks nothing per step', () => {
    const frozenBefore = host(collectTensors(enc.weights));
    const { ids, mask: m } = batch([8, 5, 12, 2], 3);
    const target = tf.randomNormal([4, 512], 0, 1, 'float32', 4);
    const copy = enc.trainableCopy();
    const vars = copy.variables();
    const list = Object.values(vars);
    const start = host(list);
    const counts: number[] = [];
    for (let step = 0; step < 3; step++) {
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => tf.sum(tf.mul(copy.forward({ ids, mask: m }).embedding, target)) as tf.Scalar, list);
        // sign-SGD: every entry with a non-zero gradient moves.
        for (const v of list) v.assign(tf.sub(v, tf.mul(tf.sign(grads[v.name]!), 1e-3)));
      });
      counts.push(tf.memory().numTensors);
    }
    expect(new Set(counts).size).toBe(1);
    const after = host(list);
    const unchanged = Object.keys(vars).filter((_, i) => after[i]!.equals(start[i]!));
    expect(unchanged).toEqual([]);
    // The embedding table changed only in the rows of ids the batch used (sparse gradient).
    const used = new Set(Array.from(ids.dataSync()));
    const e0 = new Float32Array(start[Object.keys(vars).indexOf('embeddings')]!.buffer);
    const e1 = vars['embeddings']!.dataSync();
    let changedRows = 0;
    for (let r = 0; r < 8002; r++) {
      let moved = false;
      for (let c = 0; c < 256 && !moved; c++) moved = e0[r * 256 + c] !== e1[r * 256 + c];
      if (moved) {
        changedRows++;
        expect(used.has(r)).toBe(true);
      }
    }
    expect(changedRows).toBeGreaterThan(0);
    // The frozen source encoder still has its shipped weights, and still runs.
    const frozenAfter = host(collectTensors(enc.weights));
    expect(frozenAfter.every((b, i) => b.equals(frozenBefore[i]!))).toBe(true);
    const before = tf.memory().numTensors;
    copy.dispose();
    expect(tf.memory().numTensors).toBeLessThan(before);
    const out = enc.forward({ ids, mask: m });
    expect(out.embedding.shape).toEqual([4, 512]);
    tf.dispose([out.embedding, out.pooled, ids, m, target]);
  });
});
