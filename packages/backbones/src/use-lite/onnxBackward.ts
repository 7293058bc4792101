/**
 * USE-Lite's backward pass as an ONNX graph, written by hand one block at a time (as llm.c writes
 * its backward): from the gradient of the loss with respect to the sentence embedding to the
 * gradients with respect to the injections a frozen encoder trains — the soft prompt rows and the
 * deep-prompt prefix table. The weights are frozen, so no weight gradient is formed: each dense
 * layer's backward is one product with its transposed kernel (stored transposed as an initializer).
 * With `variant.weights` (model tuning) the weights are inputs, and the weight gradients are
 * outputs too: `grad/<weight name>` for every weight `useLiteOnnxWeights` names but the embedding
 * table and the timing signal, and `grad/embeddingRows` [B, T, 256], the gradient of each token's
 * embedding row (the caller sums them into the table's rows).
 *
 * Inputs: `mask` [B, T], `gEmbedding` [B, 512], and the forward values `savedValueKeys` names.
 * Outputs by variant: `gPrompt` [M, 256] (summed over the batch) and `gPrefix` ([MP, 1536] summed
 * over the batch, or [B, MP, 1536] per example).
 */
import * as tf from '@tensorflow/tfjs-core';
import { OnnxGraph } from '@panda/runtime/onnx';
import type { UseLiteGraphVariant } from './onnxGraph.js';
import type { UseLiteLayerWeights, UseLiteWeights } from './weights.js';
import { savedValueKeys } from './savedValues.js';

const BIG = 2 ** 31 - 1;
const f32 = (t: tf.Tensor) => t.dataSync() as Float32Array;

/** Where the backward nodes go, and whether weight gradients are asked for (then weights are inputs). */
interface Backward {
  g: OnnxGraph;
  weights: boolean;
}

/** @returns the serialised backward model (opset 17) */
export function useLiteOnnxBackward(weights: UseLiteWeights, numHeads: number, prefixWidths: readonly number[], variant: UseLiteGraphVariant): Uint8Array {
  const g = new OnnxGraph(`use-lite-backward${variant.prompt ? '+prompt' : ''}${variant.prefix ? '+prefix' : ''}${variant.weights ? '+weights' : ''}`, { weightsAsInputs: variant.weights === true });
  const bw: Backward = { g, weights: variant.weights === true };
  const mask = g.input('mask', 'float32', ['B', 'T']);
  const gEmbedding = g.input('gEmbedding', 'float32', ['B', 512]);
  const saved = new Map(savedValueKeys(weights.layers.length, variant).map((k) => [k, g.input(k, 'float32')]));
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
  const gPooled = denseBackward(bw, bw.weights ? get('pooled') : undefined, gz, weights.tanhW, 'tanh'); // [B, 512]

  // Mean pooling over the real tokens: every token position gets gPooled / count; prompt rows none.
  const count = g.op('Max', [g.op('ReduceSum', [mask, g.ints([1])], { keepdims: 1 }), g.scalar(1)]); // [B, 1]
  let fullMask = mask; // [B, L]
  if (variant.prompt) fullMask = g.op('Concat', [g.op('Expand', [g.scalar(0), g.op('Concat', [batch, m], { axis: 0 })]), mask], { axis: 1 });
  let gh = g.op('Mul', [g.op('Unsqueeze', [g.op('Div', [gPooled, count]), g.ints([1])]), g.op('Unsqueeze', [fullMask, g.ints([2])])]); // [B, L, 512]

  const prefixGrads: string[] = [];
  for (let li = weights.layers.length - 1; li >= 0; li--) {
    const { gx, gpk, gpv } = layerBackward(bw, weights.layers[li]!, `l${li}`, gh, get, numHeads, weights.layerNormEps, variant.prefix);
    gh = gx;
    if (gpk && gpv) prefixGrads.unshift(gpk, gpv);
  }

  if (bw.weights) {
    // x0 = E[ids] + (E[ids] + timing): each token's row gets twice the input's gradient.
    g.output('grad/embeddingRows', g.op('Mul', [g.op('Slice', [gh, m, g.ints([BIG]), g.ints([1])]), g.scalar(2)]), 'float32', ['B', 'T', 256]);
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

/**
 * A dense layer x·W + b backward: the input's gradient dy·Wᵀ (W stored transposed when frozen,
 * transposed in the graph when it is an input), and with weight gradients and the layer's input
 * `x` given, {@link denseWeightGrads}.
 */
function denseBackward(bw: Backward, x: string | undefined, dy: string, w: tf.Tensor2D, name: string): string {
  const { g } = bw;
  if (x) denseWeightGrads(bw, x, dy, w, name);
  if (bw.weights) return g.op('MatMul', [dy, g.op('Transpose', [g.weight(`${name}/w`, new Float32Array(0), w.shape)], { perm: [1, 0] })]);
  const wT = tf.tidy(() => tf.transpose(w));
  try {
    return g.op('MatMul', [dy, g.weight(`${name}/wT`, Float32Array.from(f32(wT)), wT.shape)]);
  } finally {
    wT.dispose();
  }
}

/** With weight gradients: `grad/<name>/w` = xᵀ·dy and `grad/<name>/b` = Σ dy over batch and positions. */
function denseWeightGrads(bw: Backward, x: string, dy: string, w: tf.Tensor2D, name: string): void {
  if (!bw.weights) return;
  const { g } = bw;
  const [nIn, nOut] = w.shape;
  const flat = (t: string, n: number) => g.op('Reshape', [t, g.ints([-1, n])]);
  g.output(`grad/${name}/w`, g.op('Gemm', [flat(x, nIn), flat(dy, nOut)], { transA: 1 }), 'float32', [nIn, nOut]);
  g.output(`grad/${name}/b`, g.op('ReduceSum', [flat(dy, nOut), g.ints([0])], { keepdims: 0 }), 'float32', [nOut]);
}

/**
 * Layer norm's input gradient, y = x̂·scale + bias with x̂ = (x − μ)·rsqrt(σ² + eps) over the last
 * axis: dx = rsqrt(σ² + eps)·(g − mean(g) − x̂·mean(g·x̂)) with g = dy·scale. With weight
 * gradients also `grad/<name>/scale` = Σ dy·x̂ and `grad/<name>/bias` = Σ dy, and the layer's
 * output y (what the next dense layer's weight gradient reads) is returned.
 */
function layerNormBackward(bw: Backward, x: string, dy: string, scale: tf.Tensor1D, bias: tf.Tensor1D, eps: number, name: string): { gx: string; y?: string } {
  const { g } = bw;
  const mean = (v: string) => g.op('ReduceMean', [v], { axes: [-1], keepdims: 1 });
  const centred = g.op('Sub', [x, mean(x)]); // [B, L, d]
  const rstd = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [mean(g.op('Mul', [centred, centred])), g.scalar(eps)])])]); // [B, L, 1]
  const xHat = g.op('Mul', [centred, rstd]);
  const scaleW = g.weight(`${name}/scale`, Float32Array.from(f32(scale)), scale.shape);
  const gs = g.op('Mul', [dy, scaleW]);
  const inner = g.op('Sub', [g.op('Sub', [gs, mean(gs)]), g.op('Mul', [xHat, mean(g.op('Mul', [gs, xHat]))])]);
  const gx = g.op('Mul', [inner, rstd]); // [B, L, d]
  if (!bw.weights) return { gx };
  const sum = (t: string) => g.op('ReduceSum', [t, g.ints([0, 1])], { keepdims: 0 }); // [d]
  g.output(`grad/${name}/scale`, sum(g.op('Mul', [dy, xHat])), 'float32', [scale.shape[0]]);
  g.output(`grad/${name}/bias`, sum(dy), 'float32', [scale.shape[0]]);
  return { gx, y: g.op('Add', [g.op('Mul', [xHat, scaleW]), g.weight(`${name}/bias`, Float32Array.from(f32(bias)), bias.shape)]) };
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
function layerBackward(bw: Backward, w: UseLiteLayerWeights, name: string, gOut: string, get: (k: string) => string, numHeads: number, eps: number, prefix: boolean): { gx: string; gpk?: string; gpv?: string } {
  const { g } = bw;
  const d = w.dIn;
  const at = (k: string) => get(`${name}/${k}`);
  // out = FFN(LN(h1)) + h1, FFN = relu(·W1 + b1)·W2 + b2
  const gf1 = denseBackward(bw, bw.weights ? at('f1') : undefined, gOut, w.ffn2W, `${name}/ffn2`); // [B, L, 1536]
  const ga = g.op('Mul', [gf1, g.op('Cast', [g.op('Greater', [at('f1'), g.scalar(0)])], { to: 1 })]); // relu: where its input > 0
  const gf0 = denseBackward(bw, undefined, ga, w.ffn1W, `${name}/ffn1`); // [B, L, 512]
  const ffnLn = layerNormBackward(bw, at('h1'), gf0, w.ffnLnScale, w.ffnLnBias, eps, `${name}/ffnLn`);
  if (ffnLn.y) denseWeightGrads(bw, ffnLn.y, ga, w.ffn1W, `${name}/ffn1`); // x = LN(h1)
  const gh1 = g.op('Add', [gOut, ffnLn.gx]); // [B, L, 512]

  // h1 = merged·Wo + bo + (x·Wr + br, or x)
  const gMerged = denseBackward(bw, bw.weights ? at('merged') : undefined, gh1, w.outW, `${name}/out`); // [B, L, d]
  const gResidual = w.residualW ? denseBackward(bw, bw.weights ? at('x') : undefined, gh1, w.residualW, `${name}/residual`) : gh1; // [B, L, dIn]

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
  const gNormed = denseBackward(bw, undefined, gQkv, w.qkvW, `${name}/qkv`); // [B, L, dIn]
  const attnLn = layerNormBackward(bw, at('x'), gNormed, w.attnLnScale, w.attnLnBias, eps, `${name}/attnLn`);
  if (attnLn.y) denseWeightGrads(bw, attnLn.y, gQkv, w.qkvW, `${name}/qkv`); // x = LN(x)
  const gx = g.op('Add', [gResidual, attnLn.gx]); // [B, L, dIn]
  return gpk && gpv ? { gx, gpk, gpv } : { gx };
}
