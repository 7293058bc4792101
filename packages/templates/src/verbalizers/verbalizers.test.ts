import { beforeAll, describe, expect, it } from 'vitest';
import { isPandaError } from '@panda/core';
import { loadUseLiteTokenizer, type UnigramTokenizer } from '@panda/backbones';
import { Template } from '../syntax/template.js';
import { hashEmbedder, wordTokenizer } from '../testing/hashEmbedder.js';
import { defaultLabelWords, labelWords } from './labelWords.js';
import { ManualVerbalizer } from './manual.js';
import { SimilarityClassifier, labelView } from './similarity.js';
import { SoftVerbalizer } from './soft.js';

let tok: UnigramTokenizer;
beforeAll(async () => {
  tok = await loadUseLiteTokenizer();
});

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isPandaError(err) ? err.code : 'untyped';
  }
  return undefined;
}

describe('label words', () => {
  it('validates one list per label and no word in two classes', () => {
    expect(labelWords({ labels: ['neg', 'pos'], words: [[' bad '], ['good']] }).words).toEqual([['bad'], ['good']]);
    expect(code(() => labelWords({ labels: ['neg', 'pos'], words: [['bad']] }))).toBe('VERBALIZER_INVALID');
    expect(code(() => labelWords({ labels: ['neg', 'pos'], words: [['bad'], ['Bad']] }))).toBe('VERBALIZER_INVALID');
    expect(code(() => labelWords({ labels: ['neg', 'pos'], words: [[], ['good']] }))).toBe('VERBALIZER_INVALID');
    expect(code(() => labelWords({ labels: ['neg'], words: [['x']] }))).toBe('VERBALIZER_INVALID');
  });

  it('has usual words for known label names and readable names otherwise', () => {
    expect(defaultLabelWords(['negative', 'positive']).words).toEqual([['terrible', 'bad'], ['great', 'good']]);
    expect(defaultLabelWords(['entailment', 'contradiction', 'neutral']).words).toEqual([['yes'], ['no'], ['maybe']]);
    expect(defaultLabelWords(['entailment', 'not_entailment']).words).toEqual([['yes'], ['no']]);
    expect(defaultLabelWords(['cat_pics', 'dog_pics']).words).toEqual([['cat pics'], ['dog pics']]);
  });
});

describe('ManualVerbalizer (MLM heads)', () => {
  const words = labelWords({ labels: ['neg', 'pos'], words: [['terrible', 'unwatchable'], ['great']] });

  it('lists multi-token words and scores them as asked (first / mean / max)', () => {
    const pieces = tok.encode('unwatchable');
    expect(pieces.length).toBeGreaterThan(1); // the case this test is about
    const lp = new Float64Array(tok.vocabSize).fill(-20);
    const [t] = tok.encode('terrible');
    const [g] = tok.encode('great');
    lp[t!] = Math.log(0.1);
    lp[g!] = Math.log(0.2);
    pieces.forEach((id, k) => (lp[id] = Math.log(k === 0 ? 0.4 : 0.01)));
    const first = new ManualVerbalizer(words, tok, { multiToken: 'first' });
    const mean = new ManualVerbalizer(words, tok, { multiToken: 'mean' });
    const max = new ManualVerbalizer(words, tok, { multiToken: 'max' });
    expect(first.multiTokenWords).toEqual([{ label: 'neg', word: 1, ids: pieces }]);
    const meanLp = (Math.log(0.4) + (pieces.length - 1) * Math.log(0.01)) / pieces.length;
    expect(first.scores(lp)[0]).toBeCloseTo(Math.log((0.1 + 0.4) / 2), 10);
    expect(mean.scores(lp)[0]).toBeCloseTo(Math.log((0.1 + Math.exp(meanLp)) / 2), 10);
    expect(max.scores(lp)[0]).toBeCloseTo(Math.log((0.1 + 0.4) / 2), 10);
    expect(first.scores(lp)[1]).toBeCloseTo(Math.log(0.2), 10);
  });

  it("refuses multi-token words with 'error', naming the word and its pieces", () => {
    try {
      new ManualVerbalizer(words, tok, { multiToken: 'error' });
      throw new Error('no error');
    } catch (err) {
      expect(isPandaError(err, 'VERBALIZER_INVALID')).toBe(true);
      expect((err as Error).message).toMatch(/label word 'unwatchable' of 'neg' is \d+ tokens/);
    }
  });
});

describe('SimilarityClassifier (sentence encoders)', () => {
  const template = Template.parse('{text|shorten} It was {mask}.');
  const words = labelWords({ labels: ['neg', 'pos'], words: [['awful'], ['lovely']] });

  it('derives the label view from the template (text and mask only)', () => {
    expect(labelView(template).source).toBe(' It was {mask}.');
    const withSoft = new SimilarityClassifier(Template.parse('{soft:2}{text} It was {mask}.'), words);
    expect(withSoft.template.hasSoft).toBe(false);
  });

  it('classifies by similarity of input and label view, with mean calibration removing a class bias', async () => {
    const tokenizer = wordTokenizer();
    const emb = hashEmbedder(tokenizer, { dim: 256 });
    const xs = [
      { text: 'awful awful plot', label: 0 },
      { text: 'an awful day', label: 0 },
      { text: 'lovely lovely cast', label: 1 },
      { text: 'a lovely song', label: 1 },
    ];
    const clf = new SimilarityClassifier(template, words, { calibration: 'none' });
    const { accuracy } = await clf.evaluate(xs, emb);
    expect(accuracy).toBe(1);
    const r = await clf.with({ options: { calibration: 'mean' } }).score(xs, emb);
    for (let c = 0; c < 2; c++) expect(r.scores.reduce((a, s) => a + s[c]!, 0)).toBeCloseTo(0, 6);
    expect(r.predictions).toEqual([0, 0, 1, 1]);
    // Label views are shared: embedded once for the whole set (4 queries + 2 keys, cached by key).
    expect(clf.sharedKeys).toBe(true);
  });

  it("scores choices per example ('choices') and filled mode renders the word into the query", async () => {
    const tokenizer = wordTokenizer();
    const emb = hashEmbedder(tokenizer, { dim: 256 });
    const copa = new SimilarityClassifier(Template.parse('{text} so {mask}'), 'choices', { answer: '{mask}', calibration: 'none' });
    const xs = [{ text: 'rain fell', choices: ['sun shone', 'rain puddles formed'], label: 1 }];
    expect((await copa.evaluate(xs, emb)).accuracy).toBe(1);
    expect(copa.sharedKeys).toBe(false);
    const filled = new SimilarityClassifier(template, words, { mode: 'filled', calibration: 'none' });
    expect(filled.sharedKeys).toBe(false);
    expect((await filled.evaluate([{ text: 'awful', label: 0 }], emb)).predictions).toEqual([0]);
  });

  it('needs a mask, and choices need content-free-free calibration', async () => {
    expect(code(() => new SimilarityClassifier(Template.parse('{text}'), words))).toBe('TEMPLATE_INVALID');
    const tokenizer = wordTokenizer();
    const clf = new SimilarityClassifier(Template.parse('{text} {mask}'), 'choices', { calibration: 'content-free' });
    await expect(clf.score([{ text: 'a', choices: ['b', 'c'] }], hashEmbedder(tokenizer))).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});

describe('SoftVerbalizer', () => {
  const unit = (v: number[]): Float32Array => {
    const n = Math.hypot(...v);
    return Float32Array.from(v.map((x) => x / n));
  };

  it('starts as similarity to the label words, and fitting lowers the loss and fixes mistakes', () => {
    // Class vectors point the wrong way for the data at first: x-axis inputs are class 1.
    const soft = SoftVerbalizer.fromWordEmbeddings(['a', 'b'], [[unit([1, 0.2])], [unit([0.2, 1])]], 10);
    const qs = [unit([1, 0.1]), unit([0.9, 0.3]), unit([0.1, 1]), unit([0.3, 0.9])];
    const ys = [1, 1, 0, 0];
    expect(soft.predict(qs)).toEqual([0, 0, 1, 1]);
    const { lossBefore, lossAfter } = soft.fit(qs, ys, { steps: 300, lr: 0.5, l2ToInit: 0 });
    expect(lossAfter).toBeLessThan(lossBefore / 4);
    expect(soft.predict(qs)).toEqual(ys);
  });

  it('exports a linear head [dim, C] that gives the same logits', () => {
    const soft = SoftVerbalizer.fromWordEmbeddings(['a', 'b', 'c'], [[unit([1, 0, 0])], [unit([0, 1, 0])], [unit([0, 0, 1]), unit([0, 1, 1])]], 20);
    soft.bias[1] = 0.5;
    const q = unit([0.3, -0.2, 0.9]);
    const { kernel, bias, shape } = soft.toHead();
    expect(shape).toEqual([3, 3]);
    const z = [0, 1, 2].map((c) => q.reduce((a, x, i) => a + x * kernel[i * 3 + c]!, 0) + bias[c]!);
    soft.logits(q).forEach((v, c) => expect(z[c]).toBeCloseTo(v, 5));
  });
});
