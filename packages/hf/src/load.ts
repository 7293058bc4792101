/**
 * loadHfBackbone: a Hugging Face BERT or RoBERTa folder (config.json, model.safetensors,
 * tokenizer.json or vocab files) as a panda {@link Backbone}.
 */
import { createHash } from 'node:crypto';
import { HfOnnxForward } from './bert/onnxForward.js';
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { PandaError } from '@panda/core';
import type { Backbone } from '@panda/backbones';
import { readHfConfig, type HfModelConfig } from './config/hfConfig.js';
import { readCheckpointTensors } from './bert/checkpointFiles.js';
import { bertWeightsFromRaw } from './bert/weights.js';
import { HfEncoder, type HfEncoderInput, type HfEncoderOptions } from './bert/encoder.js';
import { loadHfTokenizer, type HfTokenizer } from './tokenizer/hfTokenizer.js';
import { clozeScores } from './cloze/tfjsCloze.js';
import type { ClozeScores, MultiTokenMode } from './cloze/labelScores.js';

export interface LoadHfOptions extends HfEncoderOptions {
  /** Model id recorded in run manifests (default `hf:<model_type>:<folder name>`). */
  id?: string;
  /**
   * Accept a config `vocab_size` larger than the tokenizer's vocabulary (an embedding table padded
   * to a multiple of 8 or 64; the extra rows are never produced). Default false: the sizes must match.
   */
  allowPaddedVocab?: boolean;
}

/** A Hugging Face checkpoint as a panda backbone, with its MLM head and raw encoder outputs. */
export interface HfBackbone extends Backbone {
  readonly encoder: HfEncoder;
  readonly tokenizer: HfTokenizer;
  readonly config: HfModelConfig;
  /** The absolute folder it was loaded from. */
  readonly dir: string;
  /** Checkpoint tensors the encoder does not read (other heads, buffers). */
  readonly unusedTensors: readonly string[];
  /** Masked-LM logits, see {@link HfEncoder.mlmLogits}; the caller owns the result. */
  mlmLogits(input: HfEncoderInput, options?: { positions?: readonly number[] }): tf.Tensor;
  /** Zero-shot cloze scores of label words at each text's mask (see `cloze/labelScores.ts`). */
  clozeScores(texts: readonly string[], labels: readonly string[], options?: { multiToken?: MultiTokenMode }): Promise<ClozeScores>;
  readonly sampleIds: readonly number[];
  readonly weightsHash: string;
  /** `tokenizer`: pairs go in as the tokenizer joins them ([CLS] a [SEP] b [SEP], segment ids). */
  readonly pairEncoding: 'tokenizer';
}

const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt', 'vocab.json', 'merges.txt'];

/**
 * Loads a Hugging Face BERT or RoBERTa checkpoint folder. Tokenizers come through transformers.js,
 * strictly locally (remote models off, `local_files_only`). Checks run before any tensor exists, in
 * this order: config, tokenizer against the config's vocabulary size, every weight's presence,
 * dtype and shape.
 * @throws `MODEL_NOT_FOUND` (missing folder, config, weights or tokenizer files);
 *   `CONFIG_INVALID`; `ARCHITECTURE_UNSUPPORTED` (model type, architecture class, position
 *   embedding type, activation); `TOKENIZER_MISMATCH` (tokenizer vocabulary ≠ config vocab_size);
 *   `SAFETENSORS_INVALID` (malformed file, missing tensor: the message names it); `SHAPE_MISMATCH`;
 *   `DTYPE_MISMATCH` (non-float weights).
 */
export async function loadHfBackbone(dir: string, options: LoadHfOptions = {}): Promise<HfBackbone> {
  const abs = resolve(dir);
  const config = await readHfConfig(abs);
  const tokenizer = await loadHfTokenizer(abs, { arch: config.arch, padId: config.padTokenId });
  if (tokenizer.vocabSize > config.vocabSize || (tokenizer.vocabSize < config.vocabSize && !options.allowPaddedVocab)) {
    throw new PandaError(
      'TOKENIZER_MISMATCH',
      `${abs}: the tokenizer has ${tokenizer.vocabSize} tokens, config.json says vocab_size ${config.vocabSize}` +
        (tokenizer.vocabSize < config.vocabSize ? ' (pass allowPaddedVocab if the embedding table is padded)' : ' (its ids would index past the embedding table)'),
      { details: { dir: abs, tokenizer: tokenizer.vocabSize, config: config.vocabSize } },
    );
  }
  if (tokenizer.padId >= config.vocabSize) {
    throw new PandaError('TOKENIZER_MISMATCH', `${abs}: the pad id ${tokenizer.padId} is outside the vocabulary of ${config.vocabSize}`);
  }
  const { tensors, files } = await readCheckpointTensors(abs);
  const weights = bertWeightsFromRaw(tensors, config, files.length === 1 ? files[0]! : abs);
  const encoder = new HfEncoder(weights, config, options);
  const weightsHash = await hashFiles([join(abs, 'config.json'), ...files, ...TOKENIZER_FILES.map((f) => join(abs, f))]);
  const special = tokenizer.specialIds;
  const vocab = tokenizer.inner.get_vocab();
  const reserved = new Set<number>();
  for (const [token, id] of vocab) if (/^\[unused\d+\]$/.test(token) || /^<unused\d+>$/.test(token)) reserved.add(id);
  let engine: Promise<HfOnnxForward | undefined> | undefined;
  const sampleIds = Array.from({ length: tokenizer.vocabSize }, (_, i) => i).filter((i) => !special.has(i) && !reserved.has(i) && i !== tokenizer.unkId);
  return {
    id: options.id ?? `hf:${config.arch}:${basename(abs)}`,
    encoder,
    tokenizer,
    config,
    dir: abs,
    unusedTensors: weights.unused,
    // A soft prompt row stands where a word embedding would (PEFT's inputs_embeds): [V, H].
    tokenInputTable: () => tf.clone(encoder.weights.wordEmbeddings),
    sampleIds,
    pairEncoding: 'tokenizer',
    weightsHash,
    spec: abs,
    mlmLogits: (input, o) => encoder.mlmLogits(input, o),
    clozeScores: (texts, labels, o) => clozeScores(encoder, tokenizer, texts, labels, o),
    inference: () => (engine ??= HfOnnxForward.create(encoder, { cacheKey: weightsHash.slice(0, 16) })),
    dispose: () => {
      void engine?.then((e) => e?.dispose());
      encoder.dispose();
    },
  };
}

/** SHA-256 over the files that exist among `paths`, each with its name, in the given order. */
async function hashFiles(paths: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const p of paths) {
    const data = await readFile(p).catch(() => undefined);
    if (!data) continue;
    hash.update(basename(p));
    hash.update(data);
  }
  return hash.digest('hex');
}
