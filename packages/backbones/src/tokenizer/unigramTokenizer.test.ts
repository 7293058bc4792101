import { beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadSpamAssassin } from '@panda/datasets';
import { UnigramTokenizer } from './unigramTokenizer.js';
import { loadUseLiteTokenizer, useLiteDistDir } from './useLiteTokenizer.js';

// The independent implementation: the tokenizer of @energetic-ai/embeddings (the USE TensorFlow.js release).
type Reference = { encode(text: string): number[] };
let reference: Reference;
let ours: UnigramTokenizer;

beforeAll(async () => {
  const require = createRequire(import.meta.url);
  const vocab = JSON.parse(await readFile(join(useLiteDistDir(), 'vocab.json'), 'utf8'));
  // The package exports only EmbeddingsModel; its tokenizer is reached through a model-less instance.
  const { EmbeddingsModel } = require('@energetic-ai/embeddings') as { EmbeddingsModel: new (d: unknown) => { tokenizer: Reference } };
  reference = new EmbeddingsModel({ vocabulary: vocab, model: null }).tokenizer;
  ours = await loadUseLiteTokenizer();
});

/** Real sentences: the lines of the SpamAssassin corpus (npm), cut at sentence ends. */
async function realSentences(n: number): Promise<string[]> {
  const emails = await loadSpamAssassin();
  const out: string[] = [];
  for (const e of emails) {
    for (const s of e.text.split(/(?<=[.!?])\s+/)) {
      if (s.trim().length > 0) out.push(s);
      if (out.length >= n) return out;
    }
  }
  return out;
}

describe('UnigramTokenizer (USE-Lite vocabulary)', () => {
  it('gives the same ids as the independent USE tokenizer on 2,000 real sentences', async () => {
    const sentences = await realSentences(2000);
    expect(sentences.length).toBe(2000);
    let tokens = 0;
    const mismatches: string[] = [];
    for (const s of sentences) {
      const a = ours.encode(s);
      tokens += a.length;
      if (JSON.stringify(a) !== JSON.stringify(reference.encode(s))) mismatches.push(s);
    }
    console.log(`tokenizer parity: ${sentences.length - mismatches.length}/${sentences.length} sentences identical, ${tokens} tokens`);
    expect(mismatches).toEqual([]);
  });

  it('matches on edge cases: empty, spaces, unknown characters, non-ASCII, emoji, colons', () => {
    const cases = ['', ' ', '   leading and  double  spaces ', 'tab\tand\nnewline', 'Ünïcödé café naïve', '日本語のテキスト', 'Привет, мир!', '🙂🙂 emoji 👍🏽', 'smile :) frown :( url http://x.y', 'ＦＵＬＬＷＩＤＴＨ ｶﾀｶﾅ', '1234567890 3.14159', 'a'.repeat(300), '\u0000\u0001 control'];
    for (const s of cases) expect(ours.encode(s), JSON.stringify(s)).toEqual(reference.encode(s));
    expect(ours.encode('')).toEqual([]);
  });

  it('segments known words into pieces of the vocabulary', () => {
    const ids = ours.encode('the movie was great');
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.every((id) => id >= 6 && id < 8000)).toBe(true);
    expect(ours.vocabSize).toBe(8002);
  });

  it('rejects a vocabulary file that is not a list of [piece, score] pairs', async () => {
    await expect(UnigramTokenizer.fromFile('/nonexistent/vocab.json')).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    await expect(UnigramTokenizer.fromFile(join(useLiteDistDir(), 'model.json'))).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
  });
});
