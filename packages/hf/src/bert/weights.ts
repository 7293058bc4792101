/**
 * Reads a BERT/RoBERTa `model.safetensors` under Hugging Face's parameter names into tfjs tensors,
 * checking every tensor the config implies before allocating any.
 *
 * Names: `<base>.embeddings.word_embeddings.weight`, `<base>.encoder.layer.<i>.attention.self.query.weight`,
 * … with `<base>` = `bert` / `roberta` (or no prefix at all, as `BertModel.save_pretrained` writes);
 * the pooler `<base>.pooler.dense.*` (optional: `*ForMaskedLM` checkpoints have none); the MLM head
 * `cls.predictions.*` (BERT) or `lm_head.*` (RoBERTa), whose decoder weight is tied to the word
 * embeddings and usually left out of the file (`save_pretrained` drops shared tensors). Old BERT
 * checkpoints name LayerNorm parameters `gamma`/`beta`; both spellings load. Tensors the encoder
 * does not use (`cls.seq_relationship.*`, classifier heads, `position_ids` buffers) are ignored and
 * listed in {@link BertWeights.unused}.
 *
 * Linear weights are stored [out, in] (torch); they are transposed once here to [in, out], and the
 * query/key/value kernels of a layer are fused into one [H, 3H] kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { PandaError } from '@panda/core';
import type { RawTensor } from '@panda/runtime';
import type { HfModelConfig } from '../config/hfConfig.js';

/** A dense layer as tfjs multiplies it: x·w + b. */
export interface DenseWeights {
  /** [in, out] */
  w: tf.Tensor2D;
  /** [out] */
  b: tf.Tensor1D;
}

export interface LayerNormWeights {
  /** [H] */
  gamma: tf.Tensor1D;
  /** [H] */
  beta: tf.Tensor1D;
}

export interface BertLayerWeights {
  /** query ‖ key ‖ value: [H, 3H], [3H] */
  qkv: DenseWeights;
  /** attention.output.dense: [H, H] */
  attnOut: DenseWeights;
  attnLn: LayerNormWeights;
  /** intermediate.dense: [H, I] */
  inter: DenseWeights;
  /** output.dense: [I, H] */
  out: DenseWeights;
  outLn: LayerNormWeights;
}

export interface MlmHeadWeights {
  /** transform dense (BERT) / lm_head.dense (RoBERTa): [H, H] */
  dense: DenseWeights;
  ln: LayerNormWeights;
  /** the decoder, transposed once: [H, V] (the word embeddings' transpose when tied) */
  decoderT: tf.Tensor2D;
  /** [V] */
  bias: tf.Tensor1D;
}

export interface BertWeights {
  /** [V, H] */
  wordEmbeddings: tf.Tensor2D;
  /** [P, H] */
  positionEmbeddings: tf.Tensor2D;
  /** [TV, H] */
  tokenTypeEmbeddings: tf.Tensor2D;
  embLn: LayerNormWeights;
  layers: BertLayerWeights[];
  /** Absent when the checkpoint has no pooler (e.g. `*ForMaskedLM`). */
  pooler?: DenseWeights;
  /** Absent when the checkpoint has no masked-LM head (e.g. `BertModel`). */
  mlm?: MlmHeadWeights;
  /** Name prefix the checkpoint uses: `bert.`, `roberta.` or `` (a bare `BertModel`). */
  base: string;
  /** Tensors in the file the encoder does not read. */
  unused: string[];
  /** The dtype the float weights were stored in (F32, F16, BF16 or F64; all are read as float32). */
  fileDtype: string;
}

const FLOAT_DTYPES = new Set(['F32', 'F16', 'BF16', 'F64']);

/** One tensor the loader wants: its name(s) and expected shape. */
interface Want {
  name: string;
  shape: number[];
}

/**
 * Checks decoded checkpoint tensors against `config` and makes the encoder's tensors.
 * @param source a file name for messages
 * @throws `SAFETENSORS_INVALID` for a missing tensor (the message names it); `SHAPE_MISMATCH` for a
 *   tensor of the wrong shape (or a layer more than the config has); `DTYPE_MISMATCH` for a
 *   non-float weight; `ARCHITECTURE_UNSUPPORTED` for weights of the other family. Nothing is
 *   allocated when a check fails.
 */
export function bertWeightsFromRaw(raw: Record<string, RawTensor>, config: HfModelConfig, source: string): BertWeights {
  const { hidden: h, intermediate: inter, vocabSize: v } = config;
  const base = detectBase(raw, config, source);
  const used = new Set<string>();

  /** Resolves a name (trying the gamma/beta spelling for LayerNorm), checks shape and dtype. */
  const find = (want: Want, required: boolean): RawTensor | undefined => {
    const aliases = [want.name];
    if (/LayerNorm\.weight$|layer_norm\.weight$/.test(want.name)) aliases.push(want.name.replace(/weight$/, 'gamma'));
    if (/LayerNorm\.bias$|layer_norm\.bias$/.test(want.name)) aliases.push(want.name.replace(/bias$/, 'beta'));
    const name = aliases.find((a) => a in raw);
    if (!name) {
      if (!required) return undefined;
      throw new PandaError('SAFETENSORS_INVALID', `${source}: tensor '${want.name}' is missing (a ${config.architecture} with ${config.layers} layers needs it, shape [${want.shape.join(', ')}])`, {
        details: { source, tensor: want.name, expected: want.shape },
      });
    }
    const t = raw[name]!;
    if (!FLOAT_DTYPES.has(t.fileDtype)) {
      throw new PandaError('DTYPE_MISMATCH', `${source}: tensor '${name}' is ${t.fileDtype}; weights must be floating point (F32, F16, BF16 or F64)`, {
        details: { source, tensor: name, dtype: t.fileDtype },
      });
    }
    if (t.shape.length !== want.shape.length || t.shape.some((d, i) => d !== want.shape[i])) {
      throw new PandaError('SHAPE_MISMATCH', `${source}: tensor '${name}' has shape [${t.shape.join(', ')}], the config implies [${want.shape.join(', ')}]`, {
        details: { source, tensor: name, actual: t.shape, expected: want.shape },
      });
    }
    used.add(name);
    return t;
  };
  const req = (name: string, shape: number[]): RawTensor => find({ name, shape }, true)!;
  const dense = (name: string, out: number, inp: number): [RawTensor, RawTensor] => [req(`${name}.weight`, [out, inp]), req(`${name}.bias`, [out])];
  const ln = (name: string): [RawTensor, RawTensor] => [req(`${name}.weight`, [h]), req(`${name}.bias`, [h])];

  // --- check everything first (throws before any tensor exists) ---
  const e = `${base}embeddings.`;
  const word = req(`${e}word_embeddings.weight`, [v, h]);
  const pos = req(`${e}position_embeddings.weight`, [config.maxPositionEmbeddings, h]);
  const type = req(`${e}token_type_embeddings.weight`, [config.typeVocabSize, h]);
  const embLn = ln(`${e}LayerNorm`);
  const layers = Array.from({ length: config.layers }, (_, i) => {
    const n = `${base}encoder.layer.${i}.`;
    return {
      q: dense(`${n}attention.self.query`, h, h),
      k: dense(`${n}attention.self.key`, h, h),
      v: dense(`${n}attention.self.value`, h, h),
      attnOut: dense(`${n}attention.output.dense`, h, h),
      attnLn: ln(`${n}attention.output.LayerNorm`),
      inter: dense(`${n}intermediate.dense`, inter, h),
      out: dense(`${n}output.dense`, h, inter),
      outLn: ln(`${n}output.LayerNorm`),
    };
  });
  const extra = config.layers;
  if (`${base}encoder.layer.${extra}.attention.self.query.weight` in raw) {
    throw new PandaError('SHAPE_MISMATCH', `${source}: the file has a layer ${extra}, but config.json says num_hidden_layers = ${config.layers}`, { details: { source } });
  }
  const poolerW = find({ name: `${base}pooler.dense.weight`, shape: [h, h] }, false);
  const pooler = poolerW ? ([poolerW, req(`${base}pooler.dense.bias`, [h])] as const) : undefined;

  const m = config.arch === 'bert' ? 'cls.predictions.' : 'lm_head.';
  const headDense = config.arch === 'bert' ? `${m}transform.dense` : `${m}dense`;
  const headLn = config.arch === 'bert' ? `${m}transform.LayerNorm` : `${m}layer_norm`;
  const hasHead = config.expectsMlmHead || `${headDense}.weight` in raw;
  const mlm = hasHead
    ? {
        dense: dense(headDense, h, h),
        ln: ln(headLn),
        // The decoder bias: `<head>.bias` (current) or `<head>.decoder.bias` (the same tensor, tied).
        bias: find({ name: `${m}bias`, shape: [v] }, false) ?? req(`${m}decoder.bias`, [v]),
        decoder: find({ name: `${m}decoder.weight`, shape: [v, h] }, false),
      }
    : undefined;
  if (mlm && !mlm.decoder && !config.tieWordEmbeddings) {
    req(`${m}decoder.weight`, [v, h]); // throws: untied embeddings need their own decoder weight
  }
  if (mlm && `${m}decoder.bias` in raw) used.add(`${m}decoder.bias`);
  const dtypes = new Set([...used].map((n) => raw[n]!.fileDtype));

  // --- allocate ---
  const t1 = (r: RawTensor): tf.Tensor1D => tf.tensor1d(r.data as Float32Array, 'float32');
  const t2 = (r: RawTensor): tf.Tensor2D => tf.tensor2d(r.data as Float32Array, [r.shape[0]!, r.shape[1]!], 'float32');
  /** torch [out, in] → [in, out] */
  const tT = (r: RawTensor): tf.Tensor2D => tf.tensor2d(transpose(r.data as Float32Array, r.shape[0]!, r.shape[1]!), [r.shape[1]!, r.shape[0]!], 'float32');
  const mkDense = ([w, b]: readonly [RawTensor, RawTensor]): DenseWeights => ({ w: tT(w), b: t1(b) });
  const mkLn = ([g, b]: readonly [RawTensor, RawTensor]): LayerNormWeights => ({ gamma: t1(g), beta: t1(b) });
  const qkv = (q: [RawTensor, RawTensor], k: [RawTensor, RawTensor], vv: [RawTensor, RawTensor]): DenseWeights => {
    const w = new Float32Array(h * 3 * h); // [H, 3H], row i = input unit i
    const qT = transpose(q[0].data as Float32Array, h, h);
    const kT = transpose(k[0].data as Float32Array, h, h);
    const vT = transpose(vv[0].data as Float32Array, h, h);
    for (let i = 0; i < h; i++) {
      w.set(qT.subarray(i * h, (i + 1) * h), i * 3 * h);
      w.set(kT.subarray(i * h, (i + 1) * h), i * 3 * h + h);
      w.set(vT.subarray(i * h, (i + 1) * h), i * 3 * h + 2 * h);
    }
    const b = new Float32Array(3 * h);
    b.set(q[1].data as Float32Array, 0);
    b.set(k[1].data as Float32Array, h);
    b.set(vv[1].data as Float32Array, 2 * h);
    return { w: tf.tensor2d(w, [h, 3 * h]), b: tf.tensor1d(b) };
  };
  const wordEmbeddings = t2(word);
  return {
    wordEmbeddings,
    positionEmbeddings: t2(pos),
    tokenTypeEmbeddings: t2(type),
    embLn: mkLn(embLn),
    layers: layers.map((l) => ({
      qkv: qkv(l.q, l.k, l.v),
      attnOut: mkDense(l.attnOut),
      attnLn: mkLn(l.attnLn),
      inter: mkDense(l.inter),
      out: mkDense(l.out),
      outLn: mkLn(l.outLn),
    })),
    ...(pooler ? { pooler: mkDense(pooler) } : {}),
    ...(mlm
      ? {
          mlm: {
            dense: mkDense(mlm.dense),
            ln: mkLn(mlm.ln),
            // Tied: the decoder is the word embedding table; either way [V, H] → [H, V].
            decoderT: tT(mlm.decoder ?? word),
            bias: t1(mlm.bias),
          },
        }
      : {}),
    base,
    unused: Object.keys(raw).filter((n) => !used.has(n)).sort(),
    fileDtype: [...dtypes].sort().join('+'),
  };
}

/** Which name prefix the checkpoint uses for the encoder. */
function detectBase(raw: Record<string, RawTensor>, config: HfModelConfig, source: string): string {
  const key = 'embeddings.word_embeddings.weight';
  const own = `${config.arch}.`;
  if (`${own}${key}` in raw) return own;
  if (key in raw) return '';
  const other = config.arch === 'bert' ? 'roberta.' : 'bert.';
  if (`${other}${key}` in raw) {
    throw new PandaError('ARCHITECTURE_UNSUPPORTED', `${source}: the weights are named '${other}*' but config.json says model_type '${config.arch}'`, { details: { source } });
  }
  throw new PandaError('SAFETENSORS_INVALID', `${source}: tensor '${own}${key}' is missing (no ${config.arch} encoder in this file)`, {
    details: { source, tensor: `${own}${key}` },
  });
}

/** Row-major [rows, cols] → [cols, rows]. */
function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c]!;
  return out;
}

/** Every tensor of a {@link BertWeights}. */
export function bertWeightTensors(w: BertWeights): tf.Tensor[] {
  const dense = (d: DenseWeights): tf.Tensor[] => [d.w, d.b];
  const ln = (l: LayerNormWeights): tf.Tensor[] => [l.gamma, l.beta];
  return [
    w.wordEmbeddings,
    w.positionEmbeddings,
    w.tokenTypeEmbeddings,
    ...ln(w.embLn),
    ...w.layers.flatMap((l) => [...dense(l.qkv), ...dense(l.attnOut), ...ln(l.attnLn), ...dense(l.inter), ...dense(l.out), ...ln(l.outLn)]),
    ...(w.pooler ? dense(w.pooler) : []),
    ...(w.mlm ? [...dense(w.mlm.dense), ...ln(w.mlm.ln), w.mlm.decoderT, w.mlm.bias] : []),
  ];
}

/**
 * The encoder's tensors by stable name (`embeddings/word`, `layer0/qkv/w`, `layer0/attnLn/beta`,
 * `pooler/b`, ...): what model tuning trains and saves as `encoder/<name>`. The masked-LM head is
 * not part of the sentence encoder and is left out.
 */
export function namedBertWeights(w: BertWeights): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {
    'embeddings/word': w.wordEmbeddings,
    'embeddings/position': w.positionEmbeddings,
    'embeddings/tokenType': w.tokenTypeEmbeddings,
    'embeddings/ln/gamma': w.embLn.gamma,
    'embeddings/ln/beta': w.embLn.beta,
  };
  w.layers.forEach((l, i) => {
    for (const d of ['qkv', 'attnOut', 'inter', 'out'] as const) {
      out[`layer${i}/${d}/w`] = l[d].w;
      out[`layer${i}/${d}/b`] = l[d].b;
    }
    for (const n of ['attnLn', 'outLn'] as const) {
      out[`layer${i}/${n}/gamma`] = l[n].gamma;
      out[`layer${i}/${n}/beta`] = l[n].beta;
    }
  });
  if (w.pooler) {
    out['pooler/w'] = w.pooler.w;
    out['pooler/b'] = w.pooler.b;
  }
  return out;
}

/**
 * A {@link BertWeights} whose encoder tensors are `fn(name, tensor)` (names as in
 * {@link namedBertWeights}), without the masked-LM head; the other fields are kept.
 */
export function mapBertWeights(w: BertWeights, fn: (name: string, t: tf.Tensor) => tf.Tensor): BertWeights {
  const dense = (d: DenseWeights, name: string): DenseWeights => ({ w: fn(`${name}/w`, d.w) as tf.Tensor2D, b: fn(`${name}/b`, d.b) as tf.Tensor1D });
  const ln = (l: LayerNormWeights, name: string): LayerNormWeights => ({ gamma: fn(`${name}/gamma`, l.gamma) as tf.Tensor1D, beta: fn(`${name}/beta`, l.beta) as tf.Tensor1D });
  const { mlm: _mlm, ...rest } = w;
  return {
    ...rest,
    wordEmbeddings: fn('embeddings/word', w.wordEmbeddings) as tf.Tensor2D,
    positionEmbeddings: fn('embeddings/position', w.positionEmbeddings) as tf.Tensor2D,
    tokenTypeEmbeddings: fn('embeddings/tokenType', w.tokenTypeEmbeddings) as tf.Tensor2D,
    embLn: ln(w.embLn, 'embeddings/ln'),
    layers: w.layers.map((l, i) => ({
      qkv: dense(l.qkv, `layer${i}/qkv`),
      attnOut: dense(l.attnOut, `layer${i}/attnOut`),
      attnLn: ln(l.attnLn, `layer${i}/attnLn`),
      inter: dense(l.inter, `layer${i}/inter`),
      out: dense(l.out, `layer${i}/out`),
      outLn: ln(l.outLn, `layer${i}/outLn`),
    })),
    ...(w.pooler ? { pooler: dense(w.pooler, 'pooler') } : {}),
  };
}
