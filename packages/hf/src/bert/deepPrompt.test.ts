/**
 * Deep prompt training steps on the tiny BERT through @panda/backbones' DeepPrefix (P-tuning v2
 * table, prefix dropout, reparameterisation) and LinearHead: the loss goes down, the encoder does
 * not change. (The same through @panda/tuner's tune(): packages/hf/src/tune.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@panda/core';
import { DeepPrefix, LinearHead, measureKeyValueStd } from '@panda/backbones';
import { initBackend } from '@panda/runtime';
import { loadHfBackbone, type HfBackbone } from '../load.js';
import { fixtureDir } from '../testing/fixtures.js';

let backbone: HfBackbone;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  backbone = await loadHfBackbone(fixtureDir('bert'));
});
afterAll(() => backbone.dispose());

const TEXTS = ['the movie was great', 'the film was terrible', 'i love this story', 'i hate this plot', 'really good acting', 'very bad acting', 'a fine film', 'so boring'];
const LABELS = [1, 0, 1, 0, 1, 0, 1, 0];

describe.each([false, true])('deep prompt training on tiny BERT (projection %s)', (projection) => {
  it('trains the prefix and head: the loss goes down, the encoder weights stay bit-identical', () => {
    const enc = backbone.encoder;
    const rows = TEXTS.map((t) => backbone.tokenizer.encode(t));
    const t = Math.max(...rows.map((r) => r.length));
    const ids = tf.tensor2d(rows.flatMap((r) => [...r, ...new Array(t - r.length).fill(backbone.tokenizer.padId)]), [rows.length, t], 'int32');
    const mask = tf.tensor2d(rows.flatMap((r) => [...new Array(r.length).fill(1), ...new Array(t - r.length).fill(0)]), [rows.length, t]);
    const labels = tf.oneHot(tf.tensor1d(LABELS, 'int32'), 2);
    const rng = new Rng('hf-deep');
    const prefix = new DeepPrefix({
      length: 4,
      layout: enc.prefixLayout,
      rng: rng.fork('prefix'),
      init: 'matched',
      keyValueStd: measureKeyValueStd(enc, backbone.sampleIds, { rows: 8, length: 12 }),
      projection,
      hidden: 16,
      embedDim: enc.hidden,
    });
    const head = new LinearHead(enc.hidden, 2, rng.fork('head'));
    const before = Float32Array.from(enc.weights.layers[0]!.qkv.w.dataSync() as Float32Array);
    const opt = tf.train.adam(0.05);
    const vars = [...prefix.params.map((p) => p.variable), ...head.variables()];
    const losses: number[] = [];
    for (let step = 0; step < 12; step++) {
      const seeds = TEXTS.map((_, i) => step * 100 + i);
      const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(labels, head.apply(enc.forward({ ids, mask, prefix: prefix.trainingTable(seeds) }).embedding)) as tf.Scalar, true, vars)!;
      losses.push(loss.dataSync()[0]!);
      loss.dispose();
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(losses.slice(-3))).toBeLessThan(mean(losses.slice(0, 3)));
    expect(Array.from(enc.weights.layers[0]!.qkv.w.dataSync())).toEqual(Array.from(before));
    const table = prefix.fold();
    expect(table.shape).toEqual([4, 2 * 2 * 32]);
    tf.dispose([table, ids, mask, labels]);
    opt.dispose();
    prefix.dispose();
    head.dispose();
  });
});
