/**
 * USE-Lite's backward pass as an ONNX graph, written by hand one block at a time (as llm.c writes
 * its backward): from the gradient of the loss with respect to the sentence embedding to the
 * gradients with respect to the injections a frozen encoder trains — the soft prompt rows and the
 * deep-prompt prefix table. The weights are frozen, so no weight gradient is formed: each dense
 * layer's backward is one product with its transposed kernel (stored transposed as an initializer).
 *
 * Inputs: `mask` [B, T], `gEmbedding` [B, 512], and the forward values `onnxGraph.ts` saves
 * (`l<i>/x`, `/q`, `/k`, `/v`, `/p`, `/h1`, `/f1`, `y`, `embedding`). Outputs by variant:
 * `gPrompt` [M, 256] (summed over the batch) and `gPrefix` ([MP, 1536] summed over the batch, or
 * [B, MP, 1536] per example).
 */
import * as tf from '@tensorflow/tfjs-core';
import { OnnxGraph } from '@panda/runtime/onnx';
import type { UseLiteGraphVariant } from './onnxGraph.js';
import type { UseLiteLayerWeights, UseLiteWeights } from './weights.js';

const BIG = 2 ** 31 - 1;
const f32 = (t: tf.Tensor) => t.dataSync() as Float32Array;

/** The forward values the backward graph reads, in the order the training graph outputs them. */
export function savedValueKeys(layers: number): string[] {
  const perLayer = ['x', 'q', 'k', 'v', 'p', 'h1', 'f1'];
  return [...Array.from({ length: layers }, (_, li) => perLayer.map((k) => `l${li}/${k}`)).flat(), 'y', 'embedding'];
}

/** @returns the serialised backward model (opset 17) */
export function useLiteOnnxBackward(weights: UseLiteWeights, numHeads: number, prefixWidths: readonly number[], variant: UseLiteGraphVariant): Uint8Array {
  const g = new OnnxGraph(`use-lite-backward${variant.prompt ? '+prompt' : ''}${variant.prefix ? '+prefix' : ''}`);
  const mask = g.input('mask', 'float32', ['B', 'T']);
  const gEmbedding = g.input('gEmbedding', 'float32', ['B', 512]);
  const saved = new Map(savedValueKeys(weights.layers.length).map((k) => [k, g.input(k, 'float32')]));
  const get = (k: string) => saved.get(k)!;

  // Positions: L (prompt rows + tokens) from layer 0's input, T from the mask, m = L − T.
  const tokens = g.op('Gather', [g.op('Shape', [mask]), g.ints([1])], { axis: 0 }); // [1] = T
  const batch = g.op('Gather', [g.op('Shape', [mask]), g.ints([0])], { axis: 0 }); // [1] = B
  const positions = g.op('Gather', [g.op('Shape', [get('l0/x')]), g.ints([1])], { axis: 0 }); // [1] = L
  const m = g.op('Sub', [positions, tokens]); // [1]

  // Output head: embedding = y / sqrt(max(Σy², eps)), y = tanh(pooled·W + b).
  const y = get('y');
  const ss = g.op('ReduceSum', [g.op('Mul', [y, y]), g.ints([1])], { keepdims: 1 }); // [B, 1]
  const sq = g.op('Max', [ss, g.scalar(weights.l2Eps)]); // [B, 1]
  const dot = g.op('ReduceSum', [g.op('Mul', [gEmbedding, get('embedding')]), g.ints([1])], { keepdims: 1 }); // [B, 1]
  // The norm's gradient flows where Σy² ≥ eps (tf.maximum's rule for its first argument).
  const through = g.op('Cast', [g.op('GreaterOrEqual', [ss, g.scalar(weights.l2Eps)])], { to: 1 }); // [B, 1]
  const gy = g.op('Sub', [g.op('Div', [gEmbedding, g.op('Sqrt', [sq])]), g.op('Mul', [y, g.op('Div', [g.op('Mul', [dot, through]), sq])])]); // [B, 512]
  const gz = g.op('Mul', [gy, g.op('Sub', [g.scalar(1), g.op('Mul', [y, y])])]); // [B, 512]
  const gPooled = transposedDense(g, gz, weights.tanhW, 'tanh'); // [B, 512]

  // Mean pooling over the real tokens: every token position gets gPooled / count; prompt rows none.
  const count = g.op('Max', [g.op('ReduceSum', [mask, g.ints([1])], { keepdims: 1 }), g.scalar(1)]); // [B, 1]
  let fullMask = mask; // [B, L]
  if (variant.prompt) fullMask = g.op('Concat', [g.op('Expand', [g.scalar(0), g.op('Concat', [batch, m], { axis: 0 })]), mask], { axis: 1 });
  let gh = g.op('Mul', [g.op('Unsqueeze', [g.op('Div', [gPooled, count]), g.ints([1])]), g.op('Unsqueeze', [fullMask, g.ints([2])])]); // [B, L, 512]

  const prefixGrads: string[] = [];
  for (let li = weights.layers.length - 1; li >= 0; li--) {
    const { gx, gpk, gpv } = layerBackward(g, weights.layers[li]!, `l${li}`, gh, get, numHeads, weights.layerNormEps, variant.prefix);
    gh = gx;
    if (gpk && gpv) prefixGrads.unshift(gpk, gpv);
  }

  if (variant.prompt) {
    // x0 = [prompt rows ‖ 2·E[ids] + timing]: the rows' gradient is layer 0's, summed over the batch.
    const rows = g.op('Slice', [gh, g.ints([0]), m, g.ints([1])]); // [B, m, 256]
    g.output('gPrompt', g.op('ReduceSum', [rows, g.ints([0])], { keepdims: 0 }), 'float32', ['M', 256]);
  }
  if (variant.prefix) {
    // The table's columns: [k_0 ‖ v_0 ‖ k_1 ‖ v_1], each [B, mp, d_l].
    const table = g.op('Concat', prefixGrads, { axis: -1 }); // [B, mp, 1536]
    const width = 2 * prefixWidths.reduce((a, b) => a + b, 0);
    if (variant.perExamplePrefix) g.output('gPrefix', table, 'float32', ['B', 'MP', width]);
    else g.output('gPrefix', g.op('ReduceSum', [table, g.ints([0])], { keepdims: 0 }), 'float32', ['MP', width]);
  }
  return g.toBytes();
}

/** dy·Wᵀ for a frozen dense layer x·W + b (the input's gradient; W stored transposed). */
function transposedDense(g: OnnxGraph, dy: string, w: tf.Tensor2D, name: string): string {
  const wT = tf.tidy(() => tf.transpose(w));
  try {
    return g.op('MatMul', [dy, g.weight(`${name}/wT`, Float32Array.from(f32(wT)), wT.shape)]);
  } finally {
    wT.dispose();
  }
}

/**
 * Layer norm's input gradient, y = x̂·scale + bias with x̂ = (x − μ)·rsqrt(σ² + eps) over the last
 * axis: dx = rsqrt(σ² + eps)·(g − mean(g) − x̂·mean(g·x̂)) with g = dy·scale.
 */
function layerNormBackward(g: OnnxGraph, x: string, dy: string, scale: tf.Tensor1D, eps: number, name: string): string {
  const mean = (v: string) => g.op('ReduceMean', [v], { axes: [-1], keepdims: 1 });
  const centred = g.op('Sub', [x, mean(x)]); // [B, L, d]
  const rstd = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [mean(g.op('Mul', [centred, centred])), g.scalar(eps)])])]); // [B, L, 1]
  const xHat = g.op('Mul', [centred, rstd]);
  const gs = g.op('Mul', [dy, g.weight(`${name}/scale`, Float32Array.from(f32(scale)), scale.shape)]);
  const inner = g.op('Sub', [g.op('Sub', [gs, mean(gs)]), g.op('Mul', [xHat, mean(g.op('Mul', [gs, xHat]))])]);
  return g.op('Mul', [inner, rstd]); // [B, L, d]
}

/** [B, H, L, dh] → [B, L, H·dh] */
function merge(g: OnnxGraph, x: string, d: number): string {
  return g.op('Reshape', [g.op('Transpose', [x], { perm: [0, 2, 1, 3] }), g.ints([0, 0, d])]);
}

/** [B, L, d] → [B, H, L, d/H] */
function heads(g: OnnxGraph, x: string, numHeads: number, d: number): string {
  return g.op('Transpose', [g.op('Reshape', [x, g.ints([0, 0, numHeads, d / numHeads])])], { perm: [0, 2, 1, 3] });
}

/**
 * One pre-norm layer backward (`layer` in onnxGraph.ts): from the gradient of its output
 * [B, L, 512] to its input's [B, L, dIn], and with a prefix the gradient of its key and value
 * slots [B, mp, dIn] each.
 */
function layerBackward(g: OnnxGraph, w: UseLiteLayerWeights, name: string, gOut: string, get: (k: string) => string, numHeads: number, eps: number, prefix: boolean): { gx: string; gpk?: string; gpv?: string } {
  const d = w.dIn;
  const at = (k: string) => get(`${name}/${k}`);
  // out = FFN(LN(h1)) + h1, FFN = relu(·W1 + b1)·W2 + b2
  const gf1 = transposedDense(g, gOut, w.ffn2W, `${name}/ffn2`); // [B, L, 1536]
  const ga = g.op('Mul', [gf1, g.op('Cast', [g.op('Greater', [at('f1'), g.scalar(0)])], { to: 1 })]); // relu: where its input > 0
  const gf0 = transposedDense(g, ga, w.ffn1W, `${name}/ffn1`); // [B, L, 512]
  const gh1 = g.op('Add', [gOut, layerNormBackward(g, at('h1'), gf0, w.ffnLnScale, eps, `${name}/ffnLn`)]); // [B, L, 512]

  // h1 = merged·Wo + bo + (x·Wr + br, or x)
  const gMerged = transposedDense(g, gh1, w.outW, `${name}/out`); // [B, L, d]
  const gResidual = w.residualW ? transposedDense(g, gh1, w.residualW, `${name}/residual`) : gh1; // [B, L, dIn]

  // ctx = softmax(q·Kᵀ + bias)·V, with q already scaled; K, V = [prefix ‖ keys]
  const p = at('p'); // [B, H, L, Lk]
  const gCtx = heads(g, gMerged, numHeads, d); // [B, H, L, dh]
  const gP = g.op('MatMul', [gCtx, g.op('Transpose', [at('v')], { perm: [0, 1, 3, 2] })]); // [B, H, L, Lk]
  const gV = g.op('MatMul', [g.op('Transpose', [p], { perm: [0, 1, 3, 2] }), gCtx]); // [B, H, Lk, dh]
  const gS = g.op('Mul', [p, g.op('Sub', [gP, g.op('ReduceSum', [g.op('Mul', [gP, p]), g.ints([-1])], { keepdims: 1 })])]); // [B, H, L, Lk]
  const gq = g.op('Mul', [g.op('MatMul', [gS, at('k')]), g.scalar(w.queryScale)]); // [B, H, L, dh] (before the scale)
  const gK = g.op('MatMul', [g.op('Transpose', [gS], { perm: [0, 1, 3, 2] }), at('q')]); // [B, H, Lk, dh]

  let gk = gK;
  let gv = gV;
  let gpk: string | undefined;
  let gpv: string | undefined;
  if (prefix) {
    // mp = Lk − L: the prefix rows come first on the key axis.
    const lk = g.op('Gather', [g.op('Shape', [gK]), g.ints([2])], { axis: 0 });
    const l = g.op('Gather', [g.op('Shape', [gq]), g.ints([2])], { axis: 0 });
    const mp = g.op('Sub', [lk, l]);
    const split = (t: string) => [g.op('Slice', [t, g.ints([0]), mp, g.ints([2])]), g.op('Slice', [t, mp, g.ints([BIG]), g.ints([2])])] as const;
    const [pk, tk] = split(gK);
    const [pv, tv] = split(gV);
    gk = tk;
    gv = tv;
    gpk = merge(g, pk, d); // [B, mp, d]
    gpv = merge(g, pv, d);
  }
  const gQkv = g.op('Concat', [merge(g, gq, d), merge(g, gk, d), merge(g, gv, d)], { axis: -1 }); // [B, L, 3d]
  const gNormed = transposedDense(g, gQkv, w.qkvW, `${name}/qkv`); // [B, L, dIn]
  const gx = g.op('Add', [gResidual, layerNormBackward(g, at('x'), gNormed, w.attnLnScale, eps, `${name}/attnLn`)]); // [B, L, dIn]
  return gpk && gpv ? { gx, gpk, gpv } : { gx };
}
