/**
 * USE-Lite's forward pass as an ONNX graph, generated from the loaded weights: the same
 * computation as `UseLiteEncoder.forward` on every position (the no-prompt graph op for op; with
 * a prompt, the full sequence [prompt ‖ tokens], whose token outputs equal the encoder's prompt
 * path), for onnxruntime's CPU kernels. Inputs: `ids` int32 [B, T] (T ≤ 128, at least 1),
 * `mask` float32 [B, T], and by variant `prompt` [m, 256] and a shared deep-prompt `prefix`
 * [mp, 1536]. Outputs: `pooled` and `embedding`, [B, 512].
 */
import * as tf from '@tensorflow/tfjs-core';
import { OnnxGraph } from '@panda/runtime/onnx';
import type { UseLiteLayerWeights, UseLiteWeights } from './weights.js';
import { savedValueKeys } from './savedValues.js';

/** Which injections a generated graph takes as inputs. */
export interface UseLiteGraphVariant {
  prompt: boolean;
  prefix: boolean;
  /** The prefix is [B, MP, 1536], one table per example (training's prefix dropout); default shared. */
  perExamplePrefix?: boolean;
  /**
   * The weights are graph inputs named as {@link useLiteOnnxWeights} names them (model tuning: they
   * change every step), and the training graphs keep and give what weight gradients need.
   */
  weights?: boolean;
}

/**
 * The tensors behind a generated graph's weight names (`embeddings`, `timing`, `l<i>/qkv/w`, …,
 * `tanh/b`): what a graph with weights as inputs is fed.
 */
export function useLiteOnnxWeights(weights: UseLiteWeights, timing: tf.Tensor2D): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = { embeddings: weights.embeddings, timing };
  weights.layers.forEach((w, li) => {
    const n = `l${li}`;
    Object.assign(out, {
      [`${n}/attnLn/scale`]: w.attnLnScale,
      [`${n}/attnLn/bias`]: w.attnLnBias,
      [`${n}/qkv/w`]: w.qkvW,
      [`${n}/qkv/b`]: w.qkvB,
      [`${n}/out/w`]: w.outW,
      [`${n}/out/b`]: w.outB,
      ...(w.residualW && w.residualB ? { [`${n}/residual/w`]: w.residualW, [`${n}/residual/b`]: w.residualB } : {}),
      [`${n}/ffnLn/scale`]: w.ffnLnScale,
      [`${n}/ffnLn/bias`]: w.ffnLnBias,
      [`${n}/ffn1/w`]: w.ffn1W,
      [`${n}/ffn1/b`]: w.ffn1B,
      [`${n}/ffn2/w`]: w.ffn2W,
      [`${n}/ffn2/b`]: w.ffn2B,
    });
  });
  out['tanh/w'] = weights.tanhW;
  out['tanh/b'] = weights.tanhB;
  return out;
}

const f32 = (t: tf.Tensor) => t.dataSync() as Float32Array;
const BIG = 2 ** 31 - 1;

/**
 * @param timing the encoder's [128, 256] timing signal (sin ‖ cos), as it computed it
 * @param prefixWidths the per-layer attention widths of the deep-prompt table (256, 512)
 * @returns the serialised ONNX model
 */
export function useLiteOnnxModel(weights: UseLiteWeights, timing: tf.Tensor2D, numHeads: number, prefixWidths: readonly number[], variant: UseLiteGraphVariant): Uint8Array {
  const g = new OnnxGraph(`use-lite${variant.prompt ? '+prompt' : ''}${variant.prefix ? '+prefix' : ''}`);
  const { pooled, embedding } = useLiteForwardNodes(g, weights, timing, numHeads, prefixWidths, variant);
  g.output('pooled', pooled, 'float32', ['B', 512]);
  g.output('embedding', embedding, 'float32', ['B', 512]);
  return g.toBytes();
}

/**
 * The training forward: the same nodes as {@link useLiteOnnxModel}, with every value the backward
 * graph (`onnxBackward.ts`) reads as an output (the embedding among them).
 */
export function useLiteOnnxTrainingForward(weights: UseLiteWeights, timing: tf.Tensor2D, numHeads: number, prefixWidths: readonly number[], variant: UseLiteGraphVariant): Uint8Array {
  const g = new OnnxGraph(`use-lite-train${variant.prompt ? '+prompt' : ''}${variant.prefix ? '+prefix' : ''}${variant.weights ? '+weights' : ''}`, { weightsAsInputs: variant.weights === true });
  const keep = new Set(savedValueKeys(weights.layers.length, variant));
  useLiteForwardNodes(g, weights, timing, numHeads, prefixWidths, variant, (key, value) => keep.has(key) && g.output(key, value, 'float32'));
  return g.toBytes();
}

/**
 * Records a forward value that the backward pass reads (`onnxBackward.ts`): the training graph
 * makes each one an output it needs (`savedValueKeys`). Keys: `l<i>/x`, `/q`, `/k`, `/v`, `/p`,
 * `/merged`, `/h1`, `/f1` per layer, and `pooled`, `y`, `embedding` for the output head.
 */
export type SaveValue = (key: string, value: string) => void;

/**
 * The forward nodes of USE-Lite into `g` (the one definition both the inference and the training
 * graphs use). Inputs it declares: `ids`, `mask`, and by variant `prompt` [M, 256] and `prefix`
 * ([MP, 1536] shared, or [B, MP, 1536] per example when `variant.perExamplePrefix`).
 * @returns the names of pooled and embedding, [B, 512] each
 */
export function useLiteForwardNodes(g: OnnxGraph, weights: UseLiteWeights, timing: tf.Tensor2D, numHeads: number, prefixWidths: readonly number[], variant: UseLiteGraphVariant, save: SaveValue = () => {}): { pooled: string; embedding: string } {
  const ids = g.input('ids', 'int32', ['B', 'T']);
  const mask = g.input('mask', 'float32', ['B', 'T']);
  const prompt = variant.prompt ? g.input('prompt', 'float32', ['M', 256]) : undefined;
  const tableWidth = 2 * prefixWidths.reduce((a, b) => a + b, 0);
  const perExample = variant.prefix && variant.perExamplePrefix === true;
  const prefix = variant.prefix ? g.input('prefix', 'float32', perExample ? ['B', 'MP', tableWidth] : ['MP', tableWidth]) : undefined;

  const shape = g.op('Shape', [ids]); // [2] int64
  const batch = g.op('Gather', [shape, g.ints([0])], { axis: 0 }); // [1] = B
  const tokens = g.op('Gather', [shape, g.ints([1])], { axis: 0 }); // [1] = T

  // Layer-0 input: E[ids] + (E[ids] + timing[0..T)), the graph's order of additions.
  const e = g.op('Gather', [g.weight('embeddings', f32(weights.embeddings), weights.embeddings.shape), ids], { axis: 0 }); // [B, T, 256]
  const tm = g.op('Slice', [g.weight('timing', f32(timing), timing.shape), g.ints([0]), tokens, g.ints([0])]); // [T, 256]
  let x = g.op('Add', [e, g.op('Add', [e, tm])]); // [B, T, 256]
  let attnMask = mask; // [B, L]
  let m: string | undefined; // [1] = prompt rows
  if (prompt) {
    m = g.op('Gather', [g.op('Shape', [prompt]), g.ints([0])], { axis: 0 });
    const rows = g.op('Expand', [g.op('Unsqueeze', [prompt, g.ints([0])]), g.op('Concat', [batch, g.ints([1, 1])], { axis: 0 })]); // [B, m, 256]
    x = g.op('Concat', [rows, x], { axis: 1 }); // [B, L, 256]
    attnMask = g.op('Concat', [g.op('Expand', [g.scalar(1), g.op('Concat', [batch, m], { axis: 0 })]), mask], { axis: 1 }); // [B, L]
  }
  let keyMask = attnMask; // [B, mp + L]
  if (prefix) {
    const mp = g.op('Gather', [g.op('Shape', [prefix]), g.ints([perExample ? 1 : 0])], { axis: 0 });
    keyMask = g.op('Concat', [g.op('Expand', [g.scalar(1), g.op('Concat', [batch, mp], { axis: 0 })]), attnMask], { axis: 1 });
  }
  // attention_bias_ignore_padding: (1 − mask)·bias on the keys, [B, 1, 1, mp + L].
  const bias = g.op('Unsqueeze', [g.op('Mul', [g.op('Sub', [g.scalar(1), keyMask]), g.scalar(weights.paddingBias)]), g.ints([1, 2])]);

  let h = x;
  let offset = 0;
  weights.layers.forEach((w, li) => {
    const d = w.dIn;
    const slot = (col: number) => (perExample ? prefixHeadsPerExample(g, prefix!, col, d, numHeads) : prefixHeads(g, prefix!, col, d, numHeads, batch));
    const pkv = prefix ? { k: slot(offset), v: slot(offset + d) } : undefined;
    offset += 2 * prefixWidths[li]!;
    h = layer(g, w, `l${li}`, h, bias, numHeads, weights.layerNormEps, pkv, (key, value) => save(`l${li}/${key}`, value));
  });

  // Pool the real tokens (a prompt's rows are skipped), then the output head.
  const out = m ? g.op('Slice', [h, m, g.ints([BIG]), g.ints([1])]) : h; // [B, T, 512]
  const summed = g.op('ReduceSum', [g.op('Mul', [out, g.op('Unsqueeze', [mask, g.ints([2])])]), g.ints([1])], { keepdims: 0 }); // [B, 512]
  const count = g.op('Max', [g.op('ReduceSum', [mask, g.ints([1])], { keepdims: 1 }), g.scalar(1)]); // [B, 1]
  const pooled = g.op('Div', [summed, count]); // [B, 512]
  const y = g.op('Tanh', [dense(g, pooled, weights.tanhW, weights.tanhB, 'tanh')]); // [B, 512]
  const sq = g.op('Max', [g.op('ReduceSum', [g.op('Mul', [y, y]), g.ints([1])], { keepdims: 1 }), g.scalar(weights.l2Eps)]); // [B, 1]
  const embedding = g.op('Mul', [y, g.op('Reciprocal', [g.op('Sqrt', [sq])])]); // [B, 512]
  save('pooled', pooled);
  save('y', y);
  save('embedding', embedding);
  return { pooled, embedding };
}

/** x·W + b on the last axis. */
function dense(g: OnnxGraph, x: string, w: tf.Tensor2D, b: tf.Tensor1D, name: string): string {
  return g.op('Add', [g.op('MatMul', [x, g.weight(`${name}/w`, f32(w), w.shape)]), g.weight(`${name}/b`, f32(b), b.shape)]);
}

/** tensor2tensor layer norm over the last axis: (x − mean)·rsqrt(var + eps)·scale + bias. */
function layerNorm(g: OnnxGraph, x: string, scale: tf.Tensor1D, bias: tf.Tensor1D, eps: number, name: string): string {
  return g.op('LayerNormalization', [x, g.weight(`${name}/scale`, f32(scale), scale.shape), g.weight(`${name}/bias`, f32(bias), bias.shape)], { axis: -1, epsilon: { float: eps } });
}

/** [B, L, d] → [B, H, L, d/H] */
function heads(g: OnnxGraph, x: string, numHeads: number, d: number): string {
  return g.op('Transpose', [g.op('Reshape', [x, g.ints([0, 0, numHeads, d / numHeads])])], { perm: [0, 2, 1, 3] });
}

/** One slot of the shared deep-prompt table, [mp, d] columns from `col`, as [B, H, mp, d/H]. */
function prefixHeads(g: OnnxGraph, prefix: string, col: number, d: number, numHeads: number, batch: string): string {
  const slot = g.op('Unsqueeze', [g.op('Slice', [prefix, g.ints([col]), g.ints([col + d]), g.ints([1])]), g.ints([0])]); // [1, mp, d]
  return g.op('Expand', [heads(g, slot, numHeads, d), g.op('Concat', [batch, g.ints([1, 1, 1])], { axis: 0 })]); // [B, H, mp, dh]
}

/** A per-example prefix slot, [B, mp, d] columns from `col`, as [B, H, mp, d/H]. */
function prefixHeadsPerExample(g: OnnxGraph, prefix: string, col: number, d: number, numHeads: number): string {
  return heads(g, g.op('Slice', [prefix, g.ints([col]), g.ints([col + d]), g.ints([2])]), numHeads, d);
}

/** One pre-norm layer: h1 = MHA(LN(x)) + (x or dense(x)); out = FFN(LN(h1)) + h1. [B, L, dIn] → [B, L, 512] */
function layer(g: OnnxGraph, w: UseLiteLayerWeights, name: string, x: string, bias: string, numHeads: number, eps: number, pkv: { k: string; v: string } | undefined, save: SaveValue): string {
  const d = w.dIn;
  const normed = layerNorm(g, x, w.attnLnScale, w.attnLnBias, eps, `${name}/attnLn`); // [B, L, dIn]
  const [q2, k2, v2] = g.opN('Split', [dense(g, normed, w.qkvW, w.qkvB, `${name}/qkv`), g.ints([d, d, d])], 3, { axis: -1 }) as [string, string, string]; // 3 × [B, L, dIn]
  const q = g.op('Mul', [heads(g, q2, numHeads, d), g.scalar(w.queryScale)]); // [B, H, L, dh]
  let k = heads(g, k2, numHeads, d); // [B, H, L, dh]
  let v = heads(g, v2, numHeads, d); // [B, H, L, dh]
  if (pkv) {
    k = g.op('Concat', [pkv.k, k], { axis: 2 }); // [B, H, mp + L, dh]
    v = g.op('Concat', [pkv.v, v], { axis: 2 });
  }
  const logits = g.op('Add', [g.op('MatMul', [q, g.op('Transpose', [k], { perm: [0, 1, 3, 2] })]), bias]); // [B, H, L, mp + L]
  const probs = g.op('Softmax', [logits], { axis: -1 }); // [B, H, L, mp + L]
  const ctx = g.op('MatMul', [probs, v]); // [B, H, L, dh]
  const merged = g.op('Reshape', [g.op('Transpose', [ctx], { perm: [0, 2, 1, 3] }), g.ints([0, 0, d])]); // [B, L, dIn]
  const residual = w.residualW && w.residualB ? dense(g, x, w.residualW, w.residualB, `${name}/residual`) : x; // [B, L, 512]
  const h1 = g.op('Add', [dense(g, merged, w.outW, w.outB, `${name}/out`), residual]); // [B, L, 512]
  const f0 = layerNorm(g, h1, w.ffnLnScale, w.ffnLnBias, eps, `${name}/ffnLn`);
  const f1 = g.op('Relu', [dense(g, f0, w.ffn1W, w.ffn1B, `${name}/ffn1`)]); // [B, L, 1536]
  for (const [key, value] of [['x', x], ['q', q], ['k', k], ['v', v], ['p', probs], ['merged', merged], ['h1', h1], ['f1', f1]] as const) save(key, value);
  return g.op('Add', [dense(g, f1, w.ffn2W, w.ffn2B, `${name}/ffn2`), h1]); // [B, L, 512]
}
