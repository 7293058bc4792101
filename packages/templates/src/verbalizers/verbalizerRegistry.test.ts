import { describe, expect, it } from 'vitest';
import { cosine, Rng } from '@panda/core';
import type { Example } from '@panda/datasets';
import { searchPrompts } from '../search/search.js';
import { hashEmbedder, wordTokenizer } from '../testing/hashEmbedder.js';
import { labelWords } from './labelWords.js';
import { ManualVerbalizer } from './manual.js';
import { argmax } from './similarity.js';
import { SoftVerbalizer } from './soft.js';
import { createVerbalizer, listVerbalizers, registerVerbalizer, type VerbalizerKind } from './verbalizerRegistry.js';

const words = labelWords({ labels: ['neg', 'pos'], words: [['awful', 'bad'], ['lovely']] });
const v = (...x: number[]) => Float32Array.from(x);
const wordEmbeddings = [[v(1, 0, 0), v(0.6, 0.8, 0)], [v(0, 0, 1)]];

let fits = 0;
/** Nearest class centroid of the labelled outputs (a third-party, trainable kind). */
const prototype: VerbalizerKind = {
  name: 'prototype',
  description: 'nearest class centroid of the fitted embeddings (starts at the label-word means)',
  input: 'embedding',
  create(context) {
    const mean = (rows: readonly ArrayLike<number>[]) => Float32Array.from(rows[0]!, (_, i) => rows.reduce((a, r) => a + r[i]!, 0) / rows.length);
    let centroids = context.wordEmbeddings!.map(mean);
    return {
      kind: 'prototype',
      labels: context.words.labels,
      scores: (q) => centroids.map((c) => cosine(q, c)),
      fit(outputs, labels) {
        fits++;
        centroids = centroids.map((c, k) => {
          const rows = outputs.filter((_, n) => labels[n] === k);
          return rows.length ? mean(rows) : c;
        });
        return { lossBefore: Number.NaN, lossAfter: Number.NaN };
      },
    };
  },
};

describe('verbalizer registry', () => {
  it('holds the built-in kinds, which score as the classes they wrap', () => {
    expect(listVerbalizers().map((k) => [k.name, k.input])).toEqual([['manual', 'mask-log-probs'], ['soft', 'embedding'], ['similarity', 'embedding']]);
    const q = v(0.5, 0.5, 0.7);
    const soft = createVerbalizer('soft', { words, wordEmbeddings, options: { scale: 10 } });
    expect(soft.scores(q)).toEqual(SoftVerbalizer.fromWordEmbeddings(words.labels, wordEmbeddings, 10).logits(q));
    expect(typeof soft.fit).toBe('function');
    const similarity = createVerbalizer('similarity', { words, wordEmbeddings });
    expect(similarity.scores(q)).toEqual([(cosine(q, wordEmbeddings[0]![0]!) + cosine(q, wordEmbeddings[0]![1]!)) / 2, cosine(q, wordEmbeddings[1]![0]!)]);
    expect(similarity.fit).toBeUndefined();
    const tokenizer = wordTokenizer();
    const manual = createVerbalizer('manual', { words, tokenizer, options: { multiToken: 'first' } });
    const logProbs = Float64Array.from({ length: 10 }, (_, i) => -i);
    expect(manual.scores(logProbs)).toEqual(new ManualVerbalizer(words, tokenizer, { multiToken: 'first' }).scores(logProbs));
    expect(manual.labels).toEqual(['neg', 'pos']);
  });

  it('refuses duplicates, unknown kinds, missing inputs and bad options with CONFIG_INVALID', () => {
    expect(() => registerVerbalizer({ ...prototype, name: 'soft' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: "a verbalizer kind named 'soft' is already registered" }));
    expect(() => registerVerbalizer({ ...prototype, name: 'x', input: 'logits' as never })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => createVerbalizer('knn', { words })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: "unknown verbalizer kind 'knn'; registered: manual, soft, similarity" }));
    expect(() => createVerbalizer('soft', { words })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: "verbalizer 'soft' needs the label-word embeddings (context.wordEmbeddings)" }));
    expect(() => createVerbalizer('manual', { words })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => createVerbalizer('manual', { words, tokenizer: wordTokenizer(), options: { multiToken: 'all' } })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => createVerbalizer('similarity', { words, wordEmbeddings, options: { scale: 2 } })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it("prompt search's few-shot scoring fits a third-party kind named in the config", async () => {
    registerVerbalizer(prototype);
    expect(listVerbalizers().at(-1)!.name).toBe('prototype');
    const rng = new Rng('proto');
    const data = (n: number, seed: string): Example[] =>
      Array.from({ length: n }, (_, i) => ({ id: `${seed}:${i}`, text: `the ${rng.shuffle(['plot', 'cast', 'music'])[0]} was ${i % 2 ? 'superb' : 'dreadful'} .`, label: i % 2 }));
    const train = data(60, 'train');
    const dev = data(30, 'dev');
    const embedder = hashEmbedder(wordTokenizer(), { dim: 512 });
    const task = { name: 'toy', type: 'single' as const, labels: ['negative', 'positive'] };
    const r = await searchPrompts({ task, train, dev, embedder, config: { seed: 2, templates: 2, scoring: 'few-shot', shots: 16, verbalizer: 'prototype' } });
    expect(r.config.verbalizer).toBe('prototype');
    expect(fits).toBe(r.candidates.length);
    // The centroids of the shots separate the two words, so every candidate is right on every dev example.
    expect(r.candidates.every((c) => c.score === 1)).toBe(true);
    await expect(searchPrompts({ task, train, dev, embedder, config: { scoring: 'few-shot', verbalizer: 'manual' } })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringMatching(/reads embeddings; 'manual' reads mask-log-probs/) });
    await expect(searchPrompts({ task, train, dev, embedder, config: { scoring: 'few-shot', verbalizer: 'nope' } })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    expect(argmax(createVerbalizer('prototype', { words, wordEmbeddings }).scores(v(0, 0.1, 1)))).toBe(1);
  });
});
