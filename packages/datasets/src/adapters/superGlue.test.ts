import { describe, expect, it } from 'vitest';
import type { Example } from '../types.js';
import { boolqMapper, CB_LABELS, copaMapper, multircMapper, nliMapper, wicMapper, wscMapper, wscSpan } from './superGlue.js';

const id = 'superglue/X/val.jsonl:1';

describe('SuperGLUE record mappers', () => {
  it('CB: premise/hypothesis pair, label by name, bad label reported', () => {
    const map = nliMapper(CB_LABELS)(true);
    expect(map({ premise: 'P', hypothesis: 'H', label: 'neutral', idx: 0 }, id)).toEqual([{ id, text: 'P', textB: 'H', label: 2, fields: { premise: 'P', hypothesis: 'H' } }]);
    expect(map({ premise: 'P', hypothesis: 'H', label: 'maybe' }, id)).toBe('unknown label "maybe" (expected one of entailment, contradiction, neutral)');
    expect(map({ premise: 'P', label: 'neutral' }, id)).toBe("missing or empty string field 'hypothesis'");
    expect(nliMapper(CB_LABELS)(false)({ premise: 'P', hypothesis: 'H', idx: 3 }, id)).toEqual([{ id, text: 'P', textB: 'H', label: -1, fields: { premise: 'P', hypothesis: 'H' } }]);
  });

  it('COPA: multiple choice with the question kind', () => {
    const rec = { premise: 'The man turned on the faucet.', choice1: 'The toilet filled.', choice2: 'Water flowed.', question: 'effect', label: 1, idx: 0 };
    expect(copaMapper(true)(rec, id)).toEqual([
      { id, text: rec.premise, choices: [rec.choice1, rec.choice2], label: 1, fields: { premise: rec.premise, question: 'effect', choice1: rec.choice1, choice2: rec.choice2 } },
    ]);
    expect(copaMapper(true)({ ...rec, label: 2 }, id)).toBe('label 2 is not 0 or 1');
    expect(copaMapper(true)({ ...rec, question: 'why' }, id)).toBe("question 'why' is neither 'cause' nor 'effect'");
  });

  it('WiC: the word span in each sentence from the release offsets', () => {
    const rec = { word: 'class', sentence1: 'An emerging professional class.', sentence2: 'It showed real class.', start1: 25, end1: 30, start2: 15, end2: 20, label: false };
    const e = (wicMapper(true)(rec, id) as Example[])[0]!;
    expect(e.label).toBe(0);
    expect(e.spans).toEqual([
      { field: 'text', start: 25, end: 30, text: 'class' },
      { field: 'textB', start: 15, end: 20, text: 'class' },
    ]);
    expect(wicMapper(true)({ ...rec, end2: 99 }, id)).toBe('span start2=15 end2=99 is outside sentence2 (length 21)');
  });

  it('WSC: token-index spans become character spans (case, possessive and multi-line span text)', () => {
    const text = 'The trophy would not fit in the brown suitcase because it was too big .';
    const rec = { text, target: { span1_index: 0, span1_text: 'the trophy', span2_index: 10, span2_text: 'it' }, label: true, idx: 0 };
    const e = (wscMapper(true)(rec, id) as Example[])[0]!;
    expect(e.label).toBe(1);
    expect(e.spans!.map((s) => text.slice(s.start, s.end))).toEqual(['The trophy', 'it']);
    expect(e.spans![0]).toMatchObject({ text: 'the trophy', tokenIndex: 0 });
    expect(wscSpan("Emma's mother had died", 0, 'Emma')).toMatchObject({ start: 0, end: 4 });
    const pw = 'changed to " willow-towered Canopy Huntertropic wrestles " as';
    const s = wscSpan(pw, 3, 'willow-towered Canopy\nHuntertropic wrestles');
    expect(pw.slice(s.start, s.end)).toBe('willow-towered Canopy Huntertropic wrestles');
    expect(wscMapper(true)({ ...rec, target: { ...rec.target, span2_index: 40 } }, id)).toBe('span index 40 is outside the text (15 tokens)');
  });

  it('BoolQ: passage and question, boolean label', () => {
    expect(boolqMapper(true)({ question: 'is it?', passage: 'It is.', label: true, idx: 7 }, id)).toEqual([{ id, text: 'It is.', textB: 'is it?', label: 1, fields: { passage: 'It is.', question: 'is it?' } }]);
    expect(boolqMapper(true)({ question: 'q', passage: 'p', label: 'yes' }, id)).toBe('label "yes" is not true/false');
  });

  it('MultiRC: one example per answer, grouped by question', () => {
    const rec = {
      idx: 0,
      passage: {
        text: 'Forces change motion.',
        questions: [
          { question: 'What changes motion?', idx: 0, answers: [{ text: 'A force', idx: 0, label: 1 }, { text: 'Nothing', idx: 1, label: 0 }] },
          { question: 'Why?', idx: 1, answers: [{ text: 'Because', idx: 2, label: 1 }] },
        ],
      },
    };
    const out = multircMapper(true)(rec, id) as { id: string; group: string; label: number; textB: string }[];
    expect(out.map((e) => [e.id, e.group, e.label, e.textB])).toEqual([
      [`${id}/0/0`, `${id}/0`, 1, 'What changes motion? A force'],
      [`${id}/0/1`, `${id}/0`, 0, 'What changes motion? Nothing'],
      [`${id}/1/2`, `${id}/1`, 1, 'Why? Because'],
    ]);
    expect(multircMapper(true)({ idx: 0, passage: { text: 'x', questions: [] } }, id)).toBe("'passage.questions' is missing or empty");
  });
});
