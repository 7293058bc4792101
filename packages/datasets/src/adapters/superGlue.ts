import type { Example, Span } from '../types.js';
import type { JsonRecordMapper } from './jsonLines.js';

/**
 * Mappers from the official SuperGLUE JSONL records (also FewGLUE's, same format) to examples.
 * Each takes `labelled`: for test files, which have no labels, the label is not read (set to -1
 * and removed by the unlabelled loader). A record missing a field or with a label outside the
 * label space is reported as a bad row, never guessed.
 */

type Rec = Record<string, unknown>;

class RecordError extends Error {}

function obj(value: unknown, what = 'record'): Rec {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new RecordError(`expected ${what} to be a JSON object`);
  return value as Rec;
}

function str(r: Rec, key: string): string {
  const v = r[key];
  if (typeof v !== 'string' || v.trim() === '') throw new RecordError(`missing or empty string field '${key}'`);
  return v;
}

function int(r: Rec, key: string): number {
  const v = r[key];
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new RecordError(`field '${key}' is not an integer (${JSON.stringify(v)})`);
  return v;
}

function boolLabel(r: Rec): number {
  const v = r['label'];
  if (v === true || v === false) return v ? 1 : 0;
  throw new RecordError(`label ${JSON.stringify(v)} is not true/false`);
}

function classLabel(r: Rec, labels: readonly string[]): number {
  const v = r['label'];
  const i = typeof v === 'string' ? labels.indexOf(v) : -1;
  if (i < 0) throw new RecordError(`unknown label ${JSON.stringify(v)} (expected one of ${labels.join(', ')})`);
  return i;
}

/** Wraps a record-to-examples function so that a `RecordError` becomes the bad-row reason. */
function mapper(fn: (r: Rec, id: string, labelled: boolean) => Example[]): (labelled: boolean) => JsonRecordMapper {
  return (labelled) => (record, id) => {
    try {
      return fn(obj(record), id, labelled);
    } catch (err) {
      if (err instanceof RecordError) return err.message;
      throw err;
    }
  };
}

/** CB label order (as in the SuperGLUE tooling): entailment, contradiction, neutral. */
export const CB_LABELS = ['entailment', 'contradiction', 'neutral'] as const;
/** RTE label order (GLUE and SuperGLUE): entailment, not_entailment. */
export const RTE_LABELS = ['entailment', 'not_entailment'] as const;
/** Boolean tasks (BoolQ, WiC, WSC, MultiRC): index 0 = false, 1 = true. */
export const BOOL_LABELS = ['false', 'true'] as const;

/** Premise/hypothesis NLI records (CB, SuperGLUE RTE): `text` = premise, `textB` = hypothesis. */
export function nliMapper(labels: readonly string[]): (labelled: boolean) => JsonRecordMapper {
  return mapper((r, id, labelled) => {
    const premise = str(r, 'premise');
    const hypothesis = str(r, 'hypothesis');
    return [{ id, text: premise, textB: hypothesis, label: labelled ? classLabel(r, labels) : -1, fields: { premise, hypothesis } }];
  });
}

/**
 * COPA as multiple choice: `text` = premise, `choices` = [choice1, choice2], `label` = index of
 * the more plausible choice, `fields.question` = 'cause' or 'effect'.
 */
export const copaMapper = mapper((r, id, labelled) => {
  const premise = str(r, 'premise');
  const question = str(r, 'question');
  if (question !== 'cause' && question !== 'effect') throw new RecordError(`question '${question}' is neither 'cause' nor 'effect'`);
  const choice1 = str(r, 'choice1');
  const choice2 = str(r, 'choice2');
  let label = -1;
  if (labelled) {
    label = r['label'] as number;
    if (label !== 0 && label !== 1) throw new RecordError(`label ${JSON.stringify(r['label'])} is not 0 or 1`);
  }
  return [{ id, text: premise, choices: [choice1, choice2], label, fields: { premise, question, choice1, choice2 } }];
});

/**
 * WiC: `text`/`textB` = the two sentences, `spans` = the target word's character span in each
 * (from the release's start/end offsets), `fields.word` = the lemma.
 */
export const wicMapper = mapper((r, id, labelled) => {
  const word = str(r, 'word');
  const s1 = str(r, 'sentence1');
  const s2 = str(r, 'sentence2');
  const span = (field: 'text' | 'textB', sentence: string, k: 1 | 2): Span => {
    const start = int(r, `start${k}`);
    const end = int(r, `end${k}`);
    if (!(start >= 0 && start < end && end <= sentence.length)) throw new RecordError(`span start${k}=${start} end${k}=${end} is outside sentence${k} (length ${sentence.length})`);
    return { field, start, end, text: sentence.slice(start, end) };
  };
  return [{ id, text: s1, textB: s2, label: labelled ? boolLabel(r) : -1, spans: [span('text', s1, 1), span('textB', s2, 2)], fields: { word, sentence1: s1, sentence2: s2 } }];
});

/**
 * Character span of a WSC target given as a whitespace-token index: starts at token
 * `tokenIndex` of `text.split(' ')`; ends after the span text when the sentence there starts with
 * it (ignoring case), else after as many tokens as the span text has. The release has a few
 * spans whose text differs from the tokens at the index (possessives, punctuation, one
 * off-by-one): these keep the index the release gives.
 */
export function wscSpan(text: string, tokenIndex: number, spanText: string): Span {
  const tokens = text.split(' ');
  if (!(tokenIndex >= 0 && tokenIndex < tokens.length)) throw new RecordError(`span index ${tokenIndex} is outside the text (${tokens.length} tokens)`);
  let start = 0;
  for (let i = 0; i < tokenIndex; i++) start += tokens[i]!.length + 1;
  const flat = spanText.replace(/\s+/g, ' ');
  const n = flat.split(' ').length;
  let end: number;
  if (text.slice(start, start + flat.length).toLowerCase() === flat.toLowerCase()) end = start + flat.length;
  else end = start + tokens.slice(tokenIndex, tokenIndex + n).join(' ').length;
  return { field: 'text', start, end, text: spanText, tokenIndex };
}

/**
 * WSC: `text` = the passage, `spans` = [noun phrase (span1), pronoun (span2)], label true when
 * the pronoun refers to the noun phrase.
 */
export const wscMapper = mapper((r, id, labelled) => {
  const text = str(r, 'text');
  const target = obj(r['target'], "'target'");
  const s1 = str(target, 'span1_text');
  const s2 = str(target, 'span2_text');
  const spans = [wscSpan(text, int(target, 'span1_index'), s1), wscSpan(text, int(target, 'span2_index'), s2)];
  return [{ id, text, label: labelled ? boolLabel(r) : -1, spans, fields: { text, span1: s1, span2: s2 } }];
});

/** BoolQ: `text` = passage, `textB` = question. */
export const boolqMapper = mapper((r, id, labelled) => {
  const passage = str(r, 'passage');
  const question = str(r, 'question');
  return [{ id, text: passage, textB: question, label: labelled ? boolLabel(r) : -1, fields: { passage, question } }];
});

/**
 * MultiRC, one example per answer option: `text` = passage, `textB` = question and answer joined
 * by a space (for pair models; templates should use `fields.question` and `fields.answer`),
 * `group` = the question (`<file>:<line>/<question idx>`), id = `<group>/<answer idx>`.
 */
export const multircMapper = mapper((r, id, labelled) => {
  const passage = obj(r['passage'], "'passage'");
  const text = str(passage, 'text');
  const questions = passage['questions'];
  if (!Array.isArray(questions) || questions.length === 0) throw new RecordError("'passage.questions' is missing or empty");
  const out: Example[] = [];
  for (const q of questions) {
    const qr = obj(q, 'a question');
    const question = str(qr, 'question');
    const group = `${id}/${int(qr, 'idx')}`;
    const answers = qr['answers'];
    if (!Array.isArray(answers) || answers.length === 0) throw new RecordError(`question ${String(qr['idx'])} has no answers`);
    for (const a of answers) {
      const ar = obj(a, 'an answer');
      const answer = str(ar, 'text');
      let label = -1;
      if (labelled) {
        label = ar['label'] as number;
        if (label !== 0 && label !== 1) throw new RecordError(`answer ${String(ar['idx'])} has label ${JSON.stringify(ar['label'])}, not 0 or 1`);
      }
      out.push({ id: `${group}/${int(ar, 'idx')}`, text, textB: `${question} ${answer}`, label, group, fields: { passage: text, question, answer } });
    }
  }
  return out;
});
