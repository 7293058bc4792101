/**
 * HfEncoder.probe and typeIds on the tiny checkpoints: probe's layer outputs are encode()'s hidden
 * states (same layer loop), with a prompt and with a deep prefix; its feed-forward activations are
 * BertIntermediate's output, recomputed here by hand for layer 0; segment ids reach the embeddings
 * and prompt rows keep segment 0.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import type { HfEncoderInput } from './encoder.js';
import { useTinyModels } from '../testing/tinyModels.js';
import { ARCHS, maxAbsDiff, type Arch } from '../testing/fixtures.js';
import type { LayerNormWeights } from './weights.js';

const { backbones, refs } = useTinyModels();

function inputs(arch: Arch): Record<'plain' | 'prompt' | 'prefix', HfEncoderInput> {
  const t = refs[arch]!.tensors;
  const base = { ids: t['input/ids'] as tf.Tensor2D, mask: t['input/mask'] as tf.Tensor2D };
  return { plain: base, prompt: { ...base, prompt: t['input/prompt'] as tf.Tensor2D }, prefix: { ...base, prefix: t['input/prefix'] as tf.Tensor2D } };
}

/** torch LayerNorm over the last axis, written out here (not the encoder's). */
function ln(x: tf.Tensor, w: LayerNormWeights, eps: number): tf.Tensor {
  const mean = tf.mean(x, -1, true);
  const variance = tf.mean(tf.square(tf.sub(x, mean)), -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), w.gamma), w.beta);
}

describe.each(ARCHS)('%s HfEncoder.probe', (arch) => {
  it.each(['plain', 'prompt', 'prefix'] as const)('%s: layer outputs are encode()\'s hidden states, the last exactly lastHidden; nothing leaks', (c) => {
    const backbone = backbones[arch]!;
    const input = inputs(arch)[c];
    const [b, t] = input.ids.shape;
    const m = c === 'prompt' ? input.prompt!.shape[0] : 0;
    const before = tf.memory().numTensors;
    const probe = backbone.encoder.probe(input);
    const enc = backbone.encoder.encode(input, { hiddenStates: true });
    try {
      const layers = backbone.config.layers;
      expect(probe.offset).toBe(m);
      expect(probe.hidden).toHaveLength(layers);
      expect(probe.ffn).toHaveLength(layers);
      for (let l = 0; l < layers; l++) {
        expect(probe.hidden[l]!.shape).toEqual([b, m + t, backbone.config.hidden]);
        expect(probe.ffn[l]!.shape).toEqual([b, m + t, backbone.config.intermediate]);
        expect(maxAbsDiff(probe.hidden[l]!, enc.hiddenStates![l + 1]!)).toBe(0);
      }
      expect(maxAbsDiff(probe.hidden[layers - 1]!, enc.lastHidden)).toBe(0);
    } finally {
      tf.dispose([...probe.hidden, ...probe.ffn, enc.lastHidden, ...(enc.hiddenStates ?? []), ...(enc.poolerOutput ? [enc.poolerOutput] : [])]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it("layer 0's feed-forward activation and output equal BertLayer's math written out by hand", () => {
    const backbone = backbones[arch]!;
    const { config, weights } = backbone.encoder;
    const input = inputs(arch).prompt;
    const probe = backbone.encoder.probe(input);
    const enc = backbone.encoder.encode(input, { hiddenStates: true });
    const want = tf.tidy(() => {
      const x = enc.hiddenStates![0]!; // [B, S, H]
      const [b, s, h] = x.shape;
      const w = weights.layers[0]!;
      const dh = h / config.heads;
      const dense = (v: tf.Tensor, d: { w: tf.Tensor2D; b: tf.Tensor1D }) => tf.add(tf.matMul(tf.reshape(v, [-1, d.w.shape[0]]), d.w), d.b);
      const heads = (v: tf.Tensor) => tf.transpose(tf.reshape(v, [b, s, config.heads, dh]), [0, 2, 1, 3]);
      const [q, k, v] = tf.split(dense(x, w.qkv), 3, 1).map(heads) as [tf.Tensor, tf.Tensor, tf.Tensor];
      const seqMask = tf.concat([tf.ones([b, s - input.ids.shape[1]]), input.mask], 1);
      const bias = tf.reshape(tf.mul(tf.sub(1, seqMask), -1e9), [b, 1, 1, s]);
      const ctx = tf.matMul(tf.softmax(tf.add(tf.div(tf.matMul(q, k, false, true), Math.sqrt(dh)), bias)), v);
      const a = ln(tf.add(dense(tf.reshape(tf.transpose(ctx, [0, 2, 1, 3]), [b * s, h]), w.attnOut), tf.reshape(x, [b * s, h])), w.attnLn, config.layerNormEps);
      const pre = dense(a, w.inter);
      const ffn = tf.mul(tf.mul(pre, 0.5), tf.add(tf.erf(tf.div(pre, Math.SQRT2)), 1)); // GELU (erf)
      const out = ln(tf.add(dense(ffn, w.out), a), w.outLn, config.layerNormEps);
      return { ffn: tf.reshape(ffn, [b, s, config.intermediate]), out: tf.reshape(out, [b, s, h]) };
    });
    expect(config.hiddenAct).toBe('gelu');
    expect(maxAbsDiff(probe.ffn[0]!, want.ffn)).toBeLessThan(1e-5);
    expect(maxAbsDiff(probe.hidden[0]!, want.out)).toBeLessThan(1e-5);
    tf.dispose([...probe.hidden, ...probe.ffn, want.ffn, want.out, enc.lastHidden, ...enc.hiddenStates!, ...(enc.poolerOutput ? [enc.poolerOutput] : [])]);
  });
});

describe('HfEncoder typeIds (BERT segments)', () => {
  it('reach the token rows only: all-zero ids are the default, prompt rows keep segment 0', () => {
    const backbone = backbones.bert!;
    const { prompt: input } = inputs('bert');
    const m = input.prompt!.shape[0];
    const [b, t] = input.ids.shape;
    const zeros = tf.zeros([b, t], 'int32') as tf.Tensor2D;
    const ones = tf.ones([b, t], 'int32') as tf.Tensor2D;
    const plain = backbone.encoder.encode(input, { hiddenStates: true });
    const zero = backbone.encoder.encode({ ...input, typeIds: zeros }, { hiddenStates: true });
    const one = backbone.encoder.encode({ ...input, typeIds: ones }, { hiddenStates: true });
    const [emb0, emb1] = [plain.hiddenStates![0]!, one.hiddenStates![0]!];
    const slice = (x: tf.Tensor3D, from: number, n: number) => tf.slice(x, [0, from, 0], [b, n, -1]);
    const parts = tf.tidy(() => ({ prompt0: slice(emb0, 0, m), prompt1: slice(emb1, 0, m), tokens0: slice(emb0, m, t), tokens1: slice(emb1, m, t) }));
    // Segment 1 by hand: LayerNorm(word + type[1] + position) at the token rows (BERT positions m … m+T−1).
    const want = tf.tidy(() => {
      const w = backbone.encoder.weights;
      const word = tf.reshape(tf.gather(w.wordEmbeddings, tf.reshape(input.ids, [-1])), [b, t, -1]);
      const pos = tf.slice(w.positionEmbeddings, [m, 0], [t, -1]);
      return ln(tf.add(tf.add(word, tf.slice(w.tokenTypeEmbeddings, [1, 0], [1, -1])), pos), w.embLn, backbone.config.layerNormEps);
    });
    try {
      expect(maxAbsDiff(zero.lastHidden, plain.lastHidden)).toBe(0);
      expect(maxAbsDiff(parts.prompt1, parts.prompt0)).toBe(0);
      expect(maxAbsDiff(parts.tokens1, parts.tokens0)).toBeGreaterThan(1e-3);
      expect(maxAbsDiff(parts.tokens1, want)).toBeLessThan(1e-5);
      expect(maxAbsDiff(one.lastHidden, plain.lastHidden)).toBeGreaterThan(1e-3);
      const bad = tf.zeros([b, t + 1], 'int32') as tf.Tensor2D;
      expect(() => backbone.encoder.forward({ ...input, typeIds: bad })).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
      bad.dispose();
    } finally {
      tf.dispose([zeros, ones, want, ...Object.values(parts), ...[plain, zero, one].flatMap((o) => [o.lastHidden, ...o.hiddenStates!, ...(o.poolerOutput ? [o.poolerOutput] : [])])]);
    }
  });
});
