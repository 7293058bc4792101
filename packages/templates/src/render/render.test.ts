import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isPandaError } from '@panda/core';
import { loadUseLiteTokenizer, type UnigramTokenizer } from '@panda/backbones';
import { Template } from '../syntax/template.js';
import { renderText } from './renderText.js';
import { renderTokens } from './renderTokens.js';

let tok: UnigramTokenizer;
beforeAll(async () => {
  tok = await loadUseLiteTokenizer();
});

const review = 'the acting is superb , the story moving and the ending a real surprise that stays with you for days after the credits roll';

/** True when `needle` occurs in `hay` as a contiguous run. */
function contains(hay: readonly number[], needle: readonly number[]): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

describe('renderText', () => {
  it('fills fields and the mask, applies modifiers and tidies spaces', () => {
    const t = Template.parse('{text|nopunct|lower}  ,  {field:who} said {mask}. {choice:1}');
    expect(renderText(t, { text: '  A Gem!! ', fields: { who: 'Ann' }, choices: ['x', 'y'] }, { mask: 'great' })).toBe('a gem , Ann said great. y');
  });

  it('leaves fields out for the label view and refuses soft tokens unless told to drop them', () => {
    const t = Template.parse('{soft:2}{text} It was {mask}.');
    expect(renderText(t, { text: 'Fine.' }, { blankFields: true, mask: 'good', soft: 'drop' })).toBe('It was good.');
    expect(() => renderText(t, { text: 'x' })).toThrow(/soft tokens/);
  });

  it('names the example and the field when a value is missing', () => {
    try {
      renderText(Template.parse('{textB}'), { id: 'rte:7', text: 'a' });
      throw new Error('no error');
    } catch (err) {
      expect(isPandaError(err, 'TEMPLATE_INVALID')).toBe(true);
      expect((err as Error).message).toBe('example rte:7 has no value for {textB}');
    }
  });
});

describe('renderTokens with the USE-Lite tokenizer', () => {
  it('encodes a short example whole, as the joined text would be encoded', () => {
    const t = Template.parse('{text|shorten} It was {mask}.');
    const r = renderTokens(t, { text: 'A gem.' }, { tokenizer: tok, maxLength: 128, mask: { text: 'great' } });
    expect(r.ids).toEqual(tok.encode('A gem. It was great.'));
    expect(r.truncated).toBe(0);
    expect(r.maskPosition).toBeNull();
  });

  it('cuts only the shortenable field, from its end, and keeps template text and the mask whole', () => {
    const t = Template.parse('Review: {text|shorten} All in all, it was {mask}.');
    const maxLength = 16;
    const r = renderTokens(t, { text: review }, { tokenizer: tok, maxLength, mask: { id: 7999 } });
    expect(r.ids.length).toBeLessThanOrEqual(maxLength);
    expect(r.truncated).toBeGreaterThan(0);
    expect(r.ids).toContain(7999);
    expect(r.ids[r.maskPosition!]).toBe(7999);
    expect(r.ids.slice(0, tok.encode('Review:').length)).toEqual(tok.encode('Review:'));
    // The template text after the field is intact, right before the mask.
    const tail = tok.encode('All in all, it was');
    expect(r.ids.slice(r.maskPosition! - tail.length, r.maskPosition!)).toEqual(tail);
    expect(r.ids.slice(r.maskPosition! + 1)).toEqual(tok.encode('.'));
    // What is left of the review is its beginning, at a word boundary.
    expect(review.startsWith(r.runs[0]!.replace('Review: ', '').replace(/ All in all, it was$/, ''))).toBe(true);
  });

  it('leaves a non-shortenable field alone and says so when the fixed parts do not fit', () => {
    const t = Template.parse('{text} It was {mask}.');
    try {
      renderTokens(t, { text: review }, { tokenizer: tok, maxLength: 10 });
      throw new Error('no error');
    } catch (err) {
      expect(isPandaError(err, 'PROMPT_TOO_LONG')).toBe(true);
      expect((err as Error).message).toMatch(/mark a long field \{text\|shorten\}/);
    }
  });

  it('balances a pair (longest first) or cuts the last field first (tail)', () => {
    const t = Template.parse('{text|shorten} ? {mask} , {textB|shorten}');
    const long = `${review} ${review}`;
    const input = { text: long, textB: review };
    const balanced = renderTokens(t, input, { tokenizer: tok, maxLength: 40, mask: { id: 7999 } });
    expect(balanced.ids.length).toBeLessThanOrEqual(40);
    const a = balanced.ids.slice(0, balanced.maskPosition! - 1).length;
    const b = balanced.ids.slice(balanced.maskPosition! + 2).length;
    expect(Math.abs(a - b)).toBeLessThanOrEqual(3);
    const tail = renderTokens(t, input, { tokenizer: tok, maxLength: 40, mask: { id: 7999 }, truncation: 'tail' });
    expect(tail.ids.length).toBeLessThanOrEqual(40);
    const bTail = tail.ids.slice(tail.maskPosition! + 2).length;
    expect(bTail).toBeLessThan(b); // textB gave up its tokens first
  });

  it('places soft tokens as placeholder ids with their prompt rows (shared ids share rows)', () => {
    const t = Template.parse('{soft#p:2} {text} {soft:"It was"} {mask} {soft#p}');
    const r = renderTokens(t, { text: 'Good.' }, { tokenizer: tok, maxLength: 64, mask: { id: 5 }, softId: 1 });
    const initLen = tok.encode('It was').length;
    expect(r.soft.map((s) => s.row)).toEqual([0, 1, ...Array.from({ length: initLen }, (_, k) => 2 + k), 0, 1]);
    for (const s of r.soft) expect(r.ids[s.position]).toBe(1);
    expect(r.ids.slice(2, 2 + tok.encode('Good.').length)).toEqual(tok.encode('Good.'));
  });

  it('never exceeds maxLength and never cuts template text (property, 300 random texts and lengths)', () => {
    const t = Template.parse('Q: {text|shorten} A: {mask}. {textB|shorten}');
    const fixed = tok.encode('Q:').length + tok.encode('A:').length + 1 + tok.encode('.').length;
    const words = fc.array(fc.constantFrom('good', 'movie', 'the', 'unbelievably', 'x', ',', 'ok.', 'é', '12'), { maxLength: 60 }).map((w) => w.join(' '));
    fc.assert(
      fc.property(words, words, fc.integer({ min: fixed + 2, max: 80 }), (a, b, maxLength) => {
        const r = renderTokens(t, { text: a, textB: b }, { tokenizer: tok, maxLength, mask: { id: 7999 } });
        expect(r.ids.length).toBeLessThanOrEqual(maxLength);
        expect(r.ids.filter((id) => id === 7999)).toHaveLength(1);
        expect(contains(r.ids, tok.encode('Q:'))).toBe(true);
        expect(contains(r.ids, tok.encode('A:'))).toBe(true);
      }),
      { numRuns: 300, seed: 5 },
    );
  });
});
