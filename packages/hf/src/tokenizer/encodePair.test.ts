/**
 * HfTokenizer.encodePair on the tiny fixture tokenizers: untruncated it is transformers.js's own
 * pair encoding (ids and segment ids); truncated it follows Hugging Face's `longest_first`.
 * (transformers.js itself cannot be the truncation reference: its `truncation: true` cuts the
 * joined ids at the end, the last special token and the second text first.)
 */
import { describe, expect, it } from 'vitest';
import { ARCHS, fixtureDir } from '../testing/fixtures.js';
import { loadHfTokenizer } from './hfTokenizer.js';
import { longestFirst } from './longestFirst.js';

const PAIRS: ReadonlyArray<[string, string]> = [
  ['the movie was great fun', 'a film'],
  ['short', 'a much longer second sentence about the story and the acting'],
  ['same length here', 'same length there'],
  ['', 'only the second text'],
];

/** transformers' old `truncate_sequences` loop: one token at a time from the longer, the second on ties. */
function referenceLoop(first: number, second: number, budget: number): [number, number] {
  let [a, b] = [first, second];
  while (a + b > budget) {
    if (a > b) a--;
    else b--;
  }
  return [a, b];
}

describe('longestFirst', () => {
  it("equals Hugging Face's token-by-token rule on every small case", () => {
    for (let a = 0; a <= 9; a++) for (let b = 0; b <= 9; b++) for (let budget = 0; budget <= 20; budget++) expect(longestFirst(a, b, budget)).toEqual(referenceLoop(a, b, budget));
  });
  it('cuts the longer first, the second on ties, and refuses negative budgets', () => {
    expect(longestFirst(10, 3, 8)).toEqual([5, 3]);
    expect(longestFirst(5, 5, 7)).toEqual([4, 3]);
    expect(longestFirst(4, 5, 7)).toEqual([4, 3]);
    expect(() => longestFirst(1, 1, -1)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});

describe.each(ARCHS)('%s encodePair', (arch) => {
  it("untruncated: transformers.js's encode(text, { text_pair }) and its segment ids", async () => {
    const tok = await loadHfTokenizer(fixtureDir(arch), { arch });
    for (const [a, b] of PAIRS) {
      const got = tok.encodePair(a, b, 512);
      expect(got.ids).toEqual(tok.inner.encode(a, { text_pair: b }));
      expect(got.truncated).toBe(false);
      const call = tok.inner._call(a, { text_pair: b, return_token_type_ids: true }) as { token_type_ids?: { tolist(): bigint[][] } };
      if (arch === 'bert') {
        expect(got.typeIds).toEqual(call.token_type_ids!.tolist()[0]!.map(Number));
        expect(got.typeIds.slice(0, tok.encodePlain(a).length + 2).every((t) => t === 0)).toBe(true);
        expect(got.typeIds.at(-1)).toBe(1);
      } else {
        expect(got.typeIds.every((t) => t === 0)).toBe(true);
      }
    }
    expect(tok.pairLayout.specials).toBe(arch === 'bert' ? 3 : 4);
  });

  it('truncated: longest first, special tokens kept, at most maxTokens ids', async () => {
    const tok = await loadHfTokenizer(fixtureDir(arch), { arch });
    const specials = tok.pairLayout.specials;
    for (const [a, b] of PAIRS) {
      const pa = tok.encodePlain(a);
      const pb = tok.encodePlain(b);
      for (let max = specials; max <= specials + pa.length + pb.length + 1; max++) {
        const got = tok.encodePair(a, b, max);
        const [na, nb] = referenceLoop(pa.length, pb.length, max - specials);
        // The untruncated ids minus the cut tail of each text (both layouts: one special before A, one after B).
        const bStart = 1 + pa.length + (specials - 2);
        const want = tok.inner.encode(a, { text_pair: b }).filter((_, i) => !((i >= 1 + na && i < 1 + pa.length) || (i >= bStart + nb && i < bStart + pb.length)));
        expect(got.ids).toEqual(want);
        expect(got.ids.length).toBe(Math.min(max, specials + pa.length + pb.length));
        expect(got.typeIds).toHaveLength(got.ids.length);
        expect(got.truncated).toBe(na < pa.length || nb < pb.length);
      }
    }
    expect(() => tok.encodePair('a', 'b', specials - 1)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
