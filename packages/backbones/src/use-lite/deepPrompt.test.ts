import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@panda/core';
import { initBackend } from '@panda/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeepPrefix, measureKeyValueStd, prefixSlots, prefixTableWidth } from '../prompts/deepPrefix.js';
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

const maxAbs = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

/** Every frozen weight of `e`, copied to host memory. */
function snapshot(e: UseLiteEncoder): Float32Array[] {
  return collectTensors(e.weights).map((t) => Float32Array.from(t.dataSync() as Float32Array));
}
const same = (a: Float32Array[], b: Float32Array[]) => a.length === b.length && a.every((x, i) => Buffer.from(x.buffer).equals(Buffer.from(b[i]!.buffer)));

/**
 * An independent, straightforward USE-Lite forward with a P-tuning v2 prefix, from the raw weights
 * and plain tf ops (no frozenLinear, no prompt-path shortcuts): for layer l, keys = [P[:, 2l-slot] ;
 * LN(h)·Wk + bk], values likewise, queries from the tokens only, mask [prefixMask ; mask].
 */
function reference(ids: tf.Tensor2D, mask: tf.Tensor2D, table: tf.Tensor2D, prefixMask?: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const w = enc.weights;
    const [b, t] = ids.shape;
    const mp = table.shape[0];
    const heads = 4;
    const ln = (x: tf.Tensor, s: tf.Tensor, bb: tf.Tensor) => {
      const { mean, variance } = tf.moments(x, -1, true);
      return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, w.layerNormEps))), s), bb);
    };
    const dense = (x: tf.Tensor, k: tf.Tensor2D, bb: tf.Tensor) => tf.add(tf.matMul(tf.reshape(x, [-1, k.shape[0]]), k), bb);
    const fullMask = mp > 0 ? tf.concat([prefixMask ?? tf.ones([b, mp]), mask], 1) : mask; // [B, mp+T]
    const bias = tf.reshape(tf.mul(tf.sub(1, fullMask), -1e9), [b, 1, 1, mp + t]);
    let h: tf.Tensor = tf.reshape(enc.embedTokens(ids), [b * t, 256]);
    let offset = 0;
    for (const lw of w.layers) {
      const d = lw.dIn;
      const dh = d / heads;
      const qkv = dense(ln(h, lw.attnLnScale, lw.attnLnBias), lw.qkvW, lw.qkvB); // [B·T, 3d]
      const [q, k, v] = tf.split(qkv, 3, 1);
      const toHeads = (x: tf.Tensor, n: number) => tf.transpose(tf.reshape(x, [b, n, heads, dh]), [0, 2, 1, 3]); // [B, H, n, dh]
      let K = toHeads(k!, t); // [B, H, T, dh]
      let V = toHeads(v!, t);
      if (mp > 0) {
        const pk = tf.tile(tf.expandDims(tf.slice(table, [0, offset], [mp, d]), 0), [b, 1, 1]); // [B, mp, d]
        const pv = tf.tile(tf.expandDims(tf.slice(table, [0, offset + d], [mp, d]), 0), [b, 1, 1]); // [B, mp, d]
        K = tf.concat([toHeads(pk, mp), K], 2); // [B, H, mp+T, dh]
        V = tf.concat([toHeads(pv, mp), V], 2);
      }
      offset += 2 * d;
      const logits = tf.add(tf.matMul(tf.mul(toHeads(q!, t), 1 / Math.sqrt(dh)), K, false, true), bias);
      const ctx = tf.reshape(tf.transpose(tf.matMul(tf.softmax(logits), V), [0, 2, 1, 3]), [b * t, d]);
      const res = lw.residualW ? dense(h, lw.residualW, lw.residualB!) : h;
      const h1 = tf.add(dense(ctx, lw.outW, lw.outB), res);
      const f = dense(tf.relu(dense(ln(h1, lw.ffnLnScale, lw.ffnLnBias), lw.ffn1W, lw.ffn1B)), lw.ffn2W, lw.ffn2B);
      h = tf.add(f, h1);
    }
    return enc.pool(tf.reshape(h, [b, t, 512]) as tf.Tensor3D, mask);
  });
}

describe('deep prompts on USE-Lite (P-tuning v2 key/value prefix)', () => {
  it('uses the P-tuning v2 table layout with per-layer widths: [m, 2·(256 + 512)]', () => {
    expect(enc.prefixLayout.widths).toEqual([256, 512]);
    expect(prefixTableWidth(enc.prefixLayout)).toBe(1536);
    expect(prefixSlots(enc.prefixLayout)).toEqual([
      { layer: 0, kind: 'key', offset: 0, width: 256 },
      { layer: 0, kind: 'value', offset: 256, width: 256 },
      { layer: 1, kind: 'key', offset: 512, width: 512 },
      { layer: 1, kind: 'value', offset: 1024, width: 512 },
    ]);
    // A uniform-width model gets exactly P-tuning v2's m × 2·L·d, key of layer l in slot 2l.
    const bert = { widths: [768, 768, 768], numHeads: 12 };
    expect(prefixTableWidth(bert)).toBe(2 * 3 * 768);
    prefixSlots(bert).forEach((s, i) => expect(s.offset).toBe(i * 768));
  });

  it('rejects a prefix or prefix mask of the wrong shape with SHAPE_MISMATCH, allocating nothing', () => {
    const { ids, mask } = batch([3, 2], 0);
    const bad = [tf.zeros([4, 1024]), tf.zeros([3, 4, 1536]), tf.zeros([1536])];
    const good = tf.zeros([4, 1536]) as tf.Tensor2D;
    const badMask = tf.ones([2, 3]) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    for (const p of bad) expect(() => enc.forward({ ids, mask, prefix: p as tf.Tensor2D })).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
    expect(() => enc.forward({ ids, mask, prefix: good, prefixMask: badMask })).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([ids, mask, good, badMask, ...bad]);
  });

  it('matches an independent straightforward implementation, and the prefix changes the outputs', () => {
    const { ids, mask } = batch([9, 4, 13], 1);
    const kv = measureKeyValueStd(enc, Array.from({ length: 7994 }, (_, i) => i + 6));
    const prefix = new DeepPrefix({ length: 5, layout: enc.prefixLayout, rng: new Rng(2), keyValueStd: kv });
    const table = prefix.params[0]!.variable as tf.Tensor2D;
    const pm = tf.tensor2d([[1, 1, 1, 1, 1], [1, 0, 1, 0, 1], [0, 0, 0, 0, 1]]);
    const before = tf.memory().numTensors;
    // Differences relative to the largest |pooled| entry (pooled values reach ~10: absolute float32
    // rounding is ~1e-6 there).
    const [dRef, dRefMasked, dPlain, dRefPlain] = tf.tidy(() => {
      const plain = enc.forward({ ids, mask }).pooled;
      const scale = tf.max(tf.abs(plain)).dataSync()[0]!;
      const got = enc.forward({ ids, mask, prefix: table }).pooled;
      const gotMasked = enc.forward({ ids, mask, prefix: table, prefixMask: pm }).pooled;
      const refPlain = reference(ids, mask, tf.zeros([0, 1536]) as tf.Tensor2D);
      return [maxAbs(got, reference(ids, mask, table)), maxAbs(gotMasked, reference(ids, mask, table, pm)), maxAbs(got, plain), maxAbs(refPlain, plain)].map((d) => d / scale) as [number, number, number, number];
    });
    console.log(
      `deep prefix vs independent reference: max |Δpooled| / max |pooled| = ${dRef.toExponential(2)} (all attended), ${dRefMasked.toExponential(2)} (partly masked); ` +
        `reference without prefix vs plain model ${dRefPlain.toExponential(2)}; the prefix moves pooled by up to ${dPlain.toFixed(3)} (relative); ` +
        `key/value std per layer ${kv.map((s) => `${s.key.toFixed(3)}/${s.value.toFixed(3)}`).join(', ')}`,
    );
    expect(dRefPlain).toBeLessThan(5e-6);
    expect(dRef).toBeLessThan(5e-6);
    expect(dRefMasked).toBeLessThan(5e-6);
    expect(dPlain).toBeGreaterThan(1e-2);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([ids, mask, pm]);
    prefix.dispose();
  });

  it('a zero prefix whose mask entries are 0 reproduces the plain model', () => {
    const { ids, mask } = batch([7, 12, 1, 5], 3);
    const before = tf.memory().numTensors;
    // The masked prefix keys get logit −1e9, so exp() gives exactly 0 and their values are weighted by
    // 0; what remains is float32 summation order (softmax and att·V sum over mp + T keys instead of T).
    const [dPooled, dEmb, scale] = tf.tidy(() => {
      const plain = enc.forward({ ids, mask });
      const zero2 = tf.zeros([6, 1536]) as tf.Tensor2D;
      const zero3 = tf.zeros([4, 6, 1536]) as tf.Tensor3D;
      const off = tf.zeros([4, 6]) as tf.Tensor2D;
      const a = enc.forward({ ids, mask, prefix: zero2, prefixMask: off });
      const b = enc.forward({ ids, mask, prefix: zero3, prefixMask: off });
      return [
        Math.max(maxAbs(a.pooled, plain.pooled), maxAbs(b.pooled, plain.pooled)),
        Math.max(maxAbs(a.embedding, plain.embedding), maxAbs(b.embedding, plain.embedding)),
        tf.max(tf.abs(plain.pooled)).dataSync()[0]!,
      ];
    });
    console.log(
      `zero prefix, masked, vs the plain model: max |Δpooled| = ${dPooled.toExponential(2)} (max |pooled| ${scale.toFixed(2)}), ` +
        `max |Δembedding| = ${dEmb.toExponential(2)} (shared and per-example table)`,
    );
    expect(dPooled / scale).toBeLessThanOrEqual(1e-6);
    expect(dEmb).toBeLessThanOrEqual(1e-6);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([ids, mask]);
  });

  it('a per-example table with equal rows equals the shared table; with an input prompt too', () => {
    const { ids, mask } = batch([6, 10], 4);
    const table = tf.randomNormal([3, 1536], 0, 0.3, 'float32', 5) as tf.Tensor2D;
    const prompt = tf.randomNormal([4, 256], 0, 0.5, 'float32', 6) as tf.Tensor2D;
    const [dShared, dPrompt] = tf.tidy(() => {
      const shared = enc.forward({ ids, mask, prefix: table }).pooled;
      const per = enc.forward({ ids, mask, prefix: tf.stack([table, table]) as tf.Tensor3D }).pooled;
      // Input prompt + deep prefix: the optimised prompt path against every position of [prompt ‖ tokens].
      const got = enc.forward({ ids, mask, prompt, prefix: table }).pooled;
      const x = tf.concat([tf.stack([prompt, prompt]), enc.embedTokens(ids)], 1) as tf.Tensor3D; // [2, 4+T, 256]
      const h = enc.encodeSequence(x, tf.concat([tf.ones([2, 4]), mask], 1) as tf.Tensor2D, { table });
      const ref = enc.pool(tf.slice(h, [0, 4, 0], [2, ids.shape[1], 512]), mask);
      return [maxAbs(shared, per), maxAbs(got, ref)];
    });
    expect(dShared).toBeLessThanOrEqual(1e-6);
    expect(dPrompt).toBeLessThanOrEqual(1e-6);
    tf.dispose([ids, mask, table, prompt]);
  });

  it('has a prefix gradient that agrees with a finite difference', () => {
    const { ids, mask } = batch([5, 8], 7);
    const p0 = tf.randomNormal([2, 1536], 0, 0.5, 'float32', 8) as tf.Tensor2D;
    const dir = tf.randomNormal([2, 1536], 0, 1, 'float32', 9) as tf.Tensor2D;
    // The L2-normalised embedding keeps the objective O(1), so float32 rounding stays below the step.
    const f = (p: tf.Tensor) => tf.sum(enc.forward({ ids, mask, prefix: p as tf.Tensor2D }).embedding) as tf.Scalar;
    const eps = 2e-3;
    const [analytic, numeric] = tf.tidy(() => {
      const g = tf.grad(f)(p0);
      // Both layers' key and value slots get gradient.
      for (const s of prefixSlots(enc.prefixLayout)) expect(tf.sum(tf.abs(tf.slice(g, [0, s.offset], [2, s.width]))).dataSync()[0]!).toBeGreaterThan(0);
      const a = tf.sum(tf.mul(g, dir)).dataSync()[0]!;
      const up = f(tf.add(p0, tf.mul(dir, eps))).dataSync()[0]!;
      const down = f(tf.sub(p0, tf.mul(dir, eps))).dataSync()[0]!;
      return [a, (up - down) / (2 * eps)];
    });
    expect(Math.abs(analytic - numeric)).toBeLessThanOrEqual(1e-2 * Math.max(1, Math.abs(analytic)));
    tf.dispose([ids, mask, p0, dir]);
  });

  it('gradients reach only the prefix: the encoder weights are bit-identical after training steps, and no tensor leaks per step', () => {
    const { ids, mask } = batch([8, 3, 11, 6], 10);
    const prefix = new DeepPrefix({ length: 4, layout: enc.prefixLayout, rng: new Rng(11), init: 'normal', projection: true, hidden: 64 });
    const w = tf.randomNormal([4, 512], 0, 1, 'float32', 12);
    const vars = prefix.params.map((p) => p.variable);
    const start = prefix.params.map((p) => Float32Array.from(p.variable.dataSync() as Float32Array));
    const before = snapshot(enc);
    const counts: number[] = [];
    for (let step = 0; step < 4; step++) {
      tf.tidy(() => {
        const seeds = [0, 1, 2, 3].map((i) => new Rng(`drop/${step}/${i}`).int32());
        const { grads } = tf.variableGrads(() => tf.sum(tf.mul(enc.forward({ ids, mask, prefix: prefix.trainingTable(seeds) }).embedding, w)) as tf.Scalar, vars);
        // Every gradient the tape produced belongs to a prefix parameter.
        expect(Object.keys(grads).sort()).toEqual(vars.map((v) => v.name).sort());
        for (const v of vars) v.assign(tf.sub(v, tf.mul(grads[v.name]!, 0.01)));
      });
      counts.push(tf.memory().numTensors);
    }
    expect(new Set(counts).size).toBe(1);
    expect(same(snapshot(enc), before)).toBe(true);
    prefix.params.forEach((p, i) => expect(Buffer.from((p.variable.dataSync() as Float32Array).buffer).equals(Buffer.from(start[i]!.buffer))).toBe(false));
    tf.dispose([ids, mask, w]);
    prefix.dispose();
  });
});

describe('DeepPrefix', () => {
  const layout = { widths: [256, 512], numHeads: 4 };
  const kv = [
    { key: 0.5, value: 2 },
    { key: 3, value: 0.25 },
  ];
  const slotStd = (t: tf.Tensor2D) =>
    prefixSlots(layout).map((s) => tf.tidy(() => Math.sqrt(tf.moments(tf.slice(t, [0, s.offset], [t.shape[0], s.width])).variance.dataSync()[0]!)));

  it("initialises each slot at its layer's key/value scale ('matched'), or N(0, 1) ('normal')", () => {
    for (const projection of [false, true]) {
      const p = new DeepPrefix({ length: 16, layout, rng: new Rng(1), keyValueStd: kv, projection });
      const t = p.fold();
      const stds = slotStd(t);
      [0.5, 2, 3, 0.25].forEach((want, i) => expect(Math.abs(stds[i]! / want - 1)).toBeLessThan(projection ? 1e-3 : 0.05));
      t.dispose();
      p.dispose();
    }
    const n = new DeepPrefix({ length: 16, layout, rng: new Rng(1), init: 'normal' });
    slotStd(n.params[0]!.variable as tf.Tensor2D).forEach((s) => expect(Math.abs(s - 1)).toBeLessThan(0.05));
    n.dispose();
    expect(() => new DeepPrefix({ length: 4, layout, rng: new Rng(1) })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => new DeepPrefix({ length: 0, layout, rng: new Rng(1), init: 'normal' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => new DeepPrefix({ length: 2, layout, rng: new Rng(1), init: 'normal', dropout: 1 })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it('keeps raw parameters under stable keys with reparameterisation, and folds them into the table', () => {
    const p = new DeepPrefix({ length: 3, layout, rng: new Rng(2), init: 'normal', projection: true, hidden: 32, embedDim: 512 });
    expect(p.params.map((x) => [x.key, x.variable.shape])).toEqual([
      ['prefix/embedding', [3, 512]],
      ['prefix/w1', [512, 32]],
      ['prefix/b1', [32]],
      ['prefix/w2', [32, 1536]],
      ['prefix/b2', [1536]],
    ]);
    const folded = p.fold();
    const [e, w1, b1, w2, b2] = p.params.map((x) => x.variable);
    const d = tf.tidy(() => maxAbs(folded, tf.add(tf.matMul(tf.tanh(tf.add(tf.matMul(e!, w1 as tf.Tensor2D), b1!)), w2 as tf.Tensor2D), b2!)));
    expect(d).toBe(0);
    expect(p.size()).toBe(3 * 512 + 512 * 32 + 32 + 32 * 1536 + 1536);
    folded.dispose();
    p.dispose();
    const plain = new DeepPrefix({ length: 3, layout, rng: new Rng(2), init: 'normal' });
    expect(plain.params.map((x) => x.key)).toEqual(['prefix']);
    plain.dispose();
  });

  it('drops per example, reproducibly from the seeds, at the configured rate, and only in training', () => {
    const p = new DeepPrefix({ length: 8, layout, rng: new Rng(3), init: 'normal', dropout: 0.25 });
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const a = p.trainingTable([1, 2, 3]);
      const b = p.trainingTable([1, 2, 3]);
      const c = p.trainingTable([1, 2, 4]);
      expect(a.shape).toEqual([3, 8, 1536]);
      expect(maxAbs(a, b)).toBe(0);
      // Examples 0 and 1 equal across a/c; example 2 differs (its own seed).
      expect(maxAbs(tf.slice(a, [0, 0, 0], [2, 8, 1536]), tf.slice(c, [0, 0, 0], [2, 8, 1536]))).toBe(0);
      expect(maxAbs(tf.slice(a, [2, 0, 0], [1, 8, 1536]), tf.slice(c, [2, 0, 0], [1, 8, 1536]))).toBeGreaterThan(0);
      const zeros = tf.mean(tf.cast(tf.equal(a, 0), 'float32')).dataSync()[0]!;
      expect(Math.abs(zeros - 0.25)).toBeLessThan(0.01);
      // Kept entries are scaled by 1 / (1 − p), like torch's dropout.
      const table = tf.expandDims(p.table(), 0);
      const kept = tf.notEqual(a, 0);
      expect(maxAbs(tf.where(kept, a, 0), tf.where(kept, tf.mul(tf.broadcastTo(table, a.shape), 1 / 0.75), 0))).toBeLessThan(1e-5);
    });
    expect(tf.memory().numTensors).toBe(before);
    const f = p.fold();
    expect(maxAbs(f, p.params[0]!.variable)).toBe(0);
    f.dispose();
    p.dispose();
    const off = new DeepPrefix({ length: 2, layout, rng: new Rng(3), init: 'normal', dropout: 0 });
    expect(off.trainingTable([1, 2])).toBe(off.params[0]!.variable);
    off.dispose();
  });
});
