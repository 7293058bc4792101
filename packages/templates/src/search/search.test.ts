import { describe, expect, it } from 'vitest';
import { Rng, type ProgressEvent } from '@panda/core';
import type { Example } from '@panda/datasets';
import { hashEmbedder, wordTokenizer } from '../testing/hashEmbedder.js';
import { distinctiveWords, domainWords } from './dataWords.js';
import { expandGrammar, grammarFor } from './grammar.js';
import { evaluateCandidate, randomCandidates, searchPrompts } from './search.js';

/** A toy sentiment task whose classes are marked by a few words among filler. */
function toyData(n: number, seed: string): Example[] {
  const rng = new Rng(seed);
  const pos = ['wonderful', 'delightful', 'superb'];
  const neg = ['dreadful', 'boring', 'awful'];
  const filler = ['plot', 'actor', 'scene', 'camera', 'music', 'story', 'director', 'ending'];
  return Array.from({ length: n }, (_, i) => {
    const label = i % 2;
    const words = rng.shuffle([...filler]).slice(0, 4);
    words.splice(rng.int(5), 0, (label ? pos : neg)[rng.int(3)]!);
    return { id: `${seed}:${i}`, text: `the ${words.join(' ')} .`, label };
  });
}

const task = { name: 'toy', type: 'single' as const, labels: ['negative', 'positive'] };

describe('data-derived words', () => {
  it('finds the words that mark each class, and what the data is about', () => {
    const words = distinctiveWords(toyData(200, 'w'), 2, { perClass: 3 });
    expect(new Set(words[0])).toEqual(new Set(['dreadful', 'boring', 'awful']));
    expect(new Set(words[1])).toEqual(new Set(['wonderful', 'delightful', 'superb']));
    expect(domainWords(toyData(200, 'w'), 2).every((w) => ['plot', 'actor', 'scene', 'camera', 'music', 'story', 'director', 'ending'].includes(w))).toBe(true);
  });
});

describe('grammar', () => {
  it('derives distinct, parseable templates with label views', () => {
    const all = expandGrammar(grammarFor('single'), ['films']);
    expect(all.length).toBeGreaterThan(50);
    expect(new Set(all.map((c) => c.source)).size).toBe(all.length);
    expect(all.some((c) => c.source.includes('A text about films.'))).toBe(true);
    for (const f of ['pair', 'qa', 'choice'] as const) expect(expandGrammar(grammarFor(f)).length).toBeGreaterThan(5);
  });
});

describe('searchPrompts', () => {
  const train = toyData(160, 'train');
  const dev = toyData(80, 'dev');

  it('finds label words from the data that beat random candidates, deterministically for a seed, with progress', async () => {
    const embedder = hashEmbedder(wordTokenizer(), { dim: 512 });
    const events: ProgressEvent[] = [];
    const config = { seed: 4, templates: 3, rankExamples: 128 };
    const r = await searchPrompts({ task, train, dev, embedder, config, onProgress: (e) => events.push(e) });
    expect(r.best.score).toBeGreaterThanOrEqual(0.9);
    expect(r.best.words.words.flat().some((w) => ['wonderful', 'delightful', 'superb', 'dreadful', 'boring', 'awful'].includes(w))).toBe(true);
    expect(events[0]).toMatchObject({ type: 'start', phase: 'prompt-search', total: 3 });
    expect(events.filter((e) => e.type === 'step')).toHaveLength(3);
    expect(events.at(-1)).toMatchObject({ type: 'done' });
    // The reported score is the candidate's accuracy on the search's dev split.
    expect(await evaluateCandidate(r.best, dev, embedder)).toBeCloseTo(r.best.score, 10);
    const again = await searchPrompts({ task, train, dev, embedder: hashEmbedder(wordTokenizer(), { dim: 512 }), config });
    expect(again.candidates.map((c) => [c.template.source, c.words.words, c.score])).toEqual(r.candidates.map((c) => [c.template.source, c.words.words, c.score]));

    const randoms = randomCandidates(task, train, 7, { seed: 4 });
    expect(randoms).toHaveLength(7);
    const accs = await Promise.all(randoms.map((c) => evaluateCandidate(c, dev, embedder)));
    const median = [...accs].sort((a, b) => a - b)[3]!;
    expect(r.best.score).toBeGreaterThan(median);
    expect(randomCandidates(task, train, 7, { seed: 4 }).map((c) => c.template.source)).toEqual(randoms.map((c) => c.template.source));
  });

  it('can score candidates after a short tuning budget (a soft verbalizer fit on a few shots)', async () => {
    const embedder = hashEmbedder(wordTokenizer(), { dim: 512 });
    const r = await searchPrompts({ task, train, dev, embedder, config: { seed: 1, templates: 2, scoring: 'few-shot', shots: 32 } });
    expect(r.config.scoring).toBe('few-shot');
    expect(r.best.score).toBeGreaterThanOrEqual(0.9);
  });

  it('rejects unknown options', async () => {
    const embedder = hashEmbedder(wordTokenizer());
    await expect(searchPrompts({ task, train, dev, embedder, config: { seeds: 3 } as never })).rejects.toThrow(/seeds/);
  });
});
