/**
 * A BERT/RoBERTa encoder's layers, pooler and pooling as an ONNX graph generated from the loaded
 * weights, for onnxruntime's CPU kernels. It starts after the embeddings (which `HfEncoder`
 * computes with the same code as every TensorFlow.js path: positions, segments, prompt rows):
 * inputs `x` [B, S, H] (the embeddings output), `keyMask` [B, mp + S], `mask` [B, T] (the tokens,
 * the last T of the S positions) and by variant a shared deep-prompt table `prefix` [mp, 2·L·H].
 * Outputs: `pooled` (mean of the last hidden states over real tokens) and `embedding` (the pooler
 * output, or h[:, 0] without a pooler), [B, H] — `HfEncoder.forward`'s two outputs.
 */
import * as tf from '@tensorflow/tfjs-core';
import { OnnxGraph } from '@panda/runtime/onnx';
import type { HfModelConfig } from '../config/hfConfig.js';
import type { BertLayerWeights, BertWeights, DenseWeights, LayerNormWeights } from './weights.js';

const f32 = (t: tf.Tensor) => t.dataSync() as Float32Array;
const BIG = 2 ** 31 - 1;
/** float32 min: the additive mask value Hugging Face uses. */
const MASK_VALUE = -3.4028234663852886e38;

export function bertOnnxModel(w: BertWeights, config: HfModelConfig, variant: { prefix: boolean }): Uint8Array {
  const h = config.hidden;
  const g = new OnnxGraph(`${config.arch}${variant.prefix ? '+prefix' : ''}`);
  let x = g.input('x', 'float32', ['B', 'S', h]);
  const keyMask = g.input('keyMask', 'float32', ['B', 'K']);
  const mask = g.input('mask', 'float32', ['B', 'T']);
  const prefix = variant.prefix ? g.input('prefix', 'float32', ['MP', 2 * config.layers * h]) : undefined;
  const batch = g.op('Gather', [g.op('Shape', [x]), g.ints([0])], { axis: 0 }); // [1] = B
  const bias = g.op('Unsqueeze', [g.op('Mul', [g.op('Sub', [g.scalar(1), keyMask]), g.scalar(MASK_VALUE)]), g.ints([1, 2])]); // [B, 1, 1, mp + S]
  w.layers.forEach((lw, li) => {
    const pkv = prefix ? { k: prefixHeads(g, prefix, 2 * li * h, h, config.heads, batch), v: prefixHeads(g, prefix, (2 * li + 1) * h, h, config.heads, batch) } : undefined;
    x = layer(g, lw, `l${li}`, x, bias, config, pkv);
  });
  // pooled: the mean over the token positions (the last T of S) where mask is 1
  const s = g.op('Gather', [g.op('Shape', [x]), g.ints([1])], { axis: 0 });
  const t = g.op('Gather', [g.op('Shape', [mask]), g.ints([1])], { axis: 0 });
  const tokens = g.op('Slice', [x, g.op('Sub', [s, t]), g.ints([BIG]), g.ints([1])]); // [B, T, H]
  const summed = g.op('ReduceSum', [g.op('Mul', [tokens, g.op('Unsqueeze', [mask, g.ints([2])])]), g.ints([1])], { keepdims: 0 }); // [B, H]
  const pooled = g.op('Div', [summed, g.op('Max', [g.op('ReduceSum', [mask, g.ints([1])], { keepdims: 1 }), g.scalar(1)])]); // [B, H]
  const first = g.op('Squeeze', [g.op('Slice', [x, g.ints([0]), g.ints([1]), g.ints([1])]), g.ints([1])]); // [B, H]
  const embedding = w.pooler ? g.op('Tanh', [dense(g, first, w.pooler, 'pooler')]) : first; // [B, H]
  g.output('pooled', pooled, 'float32', ['B', h]);
  g.output('embedding', embedding, 'float32', ['B', h]);
  return g.toBytes();
}

function dense(g: OnnxGraph, x: string, d: DenseWeights, name: string): string {
  return g.op('Add', [g.op('MatMul', [x, g.weight(`${name}/w`, f32(d.w), d.w.shape)]), g.weight(`${name}/b`, f32(d.b), d.b.shape)]);
}

function layerNorm(g: OnnxGraph, x: string, ln: LayerNormWeights, eps: number, name: string): string {
  return g.op('LayerNormalization', [x, g.weight(`${name}/gamma`, f32(ln.gamma), ln.gamma.shape), g.weight(`${name}/beta`, f32(ln.beta), ln.beta.shape)], { axis: -1, epsilon: { float: eps } });
}

/** The config's activation: erf GELU, tanh GELU, or ReLU (opset 17 has no Gelu op). */
function activation(g: OnnxGraph, x: string, act: HfModelConfig['hiddenAct']): string {
  if (act === 'relu') return g.op('Relu', [x]);
  if (act === 'gelu') return g.op('Mul', [g.op('Mul', [x, g.scalar(0.5)]), g.op('Add', [g.op('Erf', [g.op('Mul', [x, g.scalar(Math.SQRT1_2)])]), g.scalar(1)])]);
  const cube = g.op('Mul', [g.op('Mul', [x, x]), x]);
  const inner = g.op('Mul', [g.op('Add', [x, g.op('Mul', [cube, g.scalar(0.044715)])]), g.scalar(Math.sqrt(2 / Math.PI))]);
  return g.op('Mul', [g.op('Mul', [x, g.scalar(0.5)]), g.op('Add', [g.op('Tanh', [inner]), g.scalar(1)])]);
}

/** [B, L, H] → [B, n_h, L, d_h] */
function heads(g: OnnxGraph, x: string, n: number, h: number): string {
  return g.op('Transpose', [g.op('Reshape', [x, g.ints([0, 0, n, h / n])])], { perm: [0, 2, 1, 3] });
}

/** Columns [col, col + h) of the shared prefix table as [B, n_h, mp, d_h] (P-tuning v2's split). */
function prefixHeads(g: OnnxGraph, prefix: string, col: number, h: number, n: number, batch: string): string {
  const slot = g.op('Unsqueeze', [g.op('Slice', [prefix, g.ints([col]), g.ints([col + h]), g.ints([1])]), g.ints([0])]); // [1, mp, H]
  return g.op('Expand', [heads(g, slot, n, h), g.op('Concat', [batch, g.ints([1, 1, 1])], { axis: 0 })]);
}

/** One post-norm BertLayer: a = LN(Dense(MHA(x)) + x); out = LN(Dense(act(Dense(a))) + a). */
function layer(g: OnnxGraph, w: BertLayerWeights, name: string, x: string, bias: string, config: HfModelConfig, pkv?: { k: string; v: string }): string {
  const h = config.hidden;
  const n = config.heads;
  const [q2, k2, v2] = g.opN('Split', [dense(g, x, w.qkv, `${name}/qkv`), g.ints([h, h, h])], 3, { axis: -1 }) as [string, string, string];
  const q = heads(g, q2, n, h);
  let k = heads(g, k2, n, h);
  let v = heads(g, v2, n, h);
  if (pkv) {
    k = g.op('Concat', [pkv.k, k], { axis: 2 });
    v = g.op('Concat', [pkv.v, v], { axis: 2 });
  }
  const scores = g.op('Add', [g.op('Div', [g.op('MatMul', [q, g.op('Transpose', [k], { perm: [0, 1, 3, 2] })]), g.scalar(Math.sqrt(h / n))]), bias]); // [B, n_h, S, mp + S]
  const ctx = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), v]); // [B, n_h, S, d_h]
  const merged = g.op('Reshape', [g.op('Transpose', [ctx], { perm: [0, 2, 1, 3] }), g.ints([0, 0, h])]); // [B, S, H]
  const a = layerNorm(g, g.op('Add', [dense(g, merged, w.attnOut, `${name}/attnOut`), x]), w.attnLn, config.layerNormEps, `${name}/attnLn`);
  const i = activation(g, dense(g, a, w.inter, `${name}/inter`), config.hiddenAct);
  return layerNorm(g, g.op('Add', [dense(g, i, w.out, `${name}/out`), a]), w.outLn, config.layerNormEps, `${name}/outLn`);
}
