/**
 * Single texts on a BERT-style tokenizer keep their special tokens when cut (Hugging Face's
 * truncation): the trainer used to slice `[CLS] … [SEP]` at the end, so every long text lost its
 * final `[SEP]` (`</s>` on RoBERTa).
 */
import { describe, expect, it } from 'vitest';
import { encodeExamples } from '@panda/tuner';
import { loadHfTokenizer } from './hfTokenizer.js';
import { ARCHS, fixtureDir } from '../testing/fixtures.js';

const LONG = 'the film was good and the acting was very fine but the plot was boring and long';

describe.each(ARCHS)('encodeTruncated on tiny %s', (arch) => {
  it('cuts the text, never the specials, and leaves short texts as encode() gives them', async () => {
    const tok = await loadHfTokenizer(fixtureDir(arch), { arch });
    const full = tok.encode(LONG);
    const plain = tok.encodePlain(LONG);
    expect(full.length).toBeGreaterThan(10);
    const cut = tok.encodeTruncated(LONG, 8);
    expect(cut.truncated).toBe(true);
    expect(cut.ids).toHaveLength(8);
    expect(cut.ids[0]).toBe(full[0]);
    expect(cut.ids.at(-1)).toBe(full.at(-1));
    expect(cut.ids.slice(1, -1)).toEqual(plain.slice(0, 6));
    expect(tok.encodeTruncated('good', 8)).toEqual({ ids: tok.encode('good'), truncated: false });
    expect(() => tok.encodeTruncated(LONG, 1)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it('the trainer encodes single texts and joined pairs with the final special token kept', async () => {
    const tok = await loadHfTokenizer(fixtureDir(arch), { arch });
    const end = tok.encode('x').at(-1)!;
    for (const pairs of ['joined', 'two-tower', 'tokenizer'] as const) {
      const set = encodeExamples(tok, [{ id: 'a', text: LONG, label: 0 }, { id: 'b', text: LONG, textB: LONG, label: 1 }], 8, undefined, pairs);
      // (two-tower: the single text's second tower is the empty text, [CLS] [SEP])
      for (const row of [set.ids[0]!, set.ids[1]!, ...(set.idsB ? [set.idsB[1]!] : [])]) {
        expect(row).toHaveLength(8);
        expect(row.at(-1), `${pairs}`).toBe(end);
      }
      expect(set.truncated).toBe(pairs === 'two-tower' ? 3 : 2); // two towers count each cut text
    }
  });
});
