import { beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveDataDir, sst2Task } from '@panda/datasets';
import { loadUseLiteTokenizer, useLiteDistDir } from './useLiteTokenizer.js';
import type { UnigramTokenizer } from './unigramTokenizer.js';

// Needs ../shared/data. Compares our tokenizer with the independent one of @energetic-ai/embeddings.
type Reference = { encode(text: string): number[] };
let reference: Reference;
let ours: UnigramTokenizer;

beforeAll(async () => {
  const require = createRequire(import.meta.url);
  const vocab = JSON.parse(await readFile(join(useLiteDistDir(), 'vocab.json'), 'utf8'));
  const { EmbeddingsModel } = require('@energetic-ai/embeddings') as { EmbeddingsModel: new (d: unknown) => { tokenizer: Reference } };
  reference = new EmbeddingsModel({ vocabulary: vocab, model: null }).tokenizer;
  ours = await loadUseLiteTokenizer();
});

describe('tokenizer parity on SST-2', () => {
  it('gives identical ids on every SST-2 test sentence and 10,000 training sentences', async () => {
    const ctx = { dataDir: resolveDataDir() };
    const test = (await sst2Task.load('test', ctx)).examples;
    const train = (await sst2Task.load('train', { ...ctx, limit: 10_000 })).examples;
    const sentences = [...test, ...train].map((e) => e.text);
    let same = 0;
    for (const s of sentences) if (JSON.stringify(ours.encode(s)) === JSON.stringify(reference.encode(s))) same++;
    console.log(`tokenizer parity on SST-2: ${same}/${sentences.length} sentences identical`);
    expect(same).toBe(sentences.length);
    expect(sentences.length).toBe(10_872);
  });
});
