/**
 * Zero-shot cloze scoring of label words at the mask position (PET / LM-BFF style), shared by the
 * tfjs and ONNX paths.
 *
 * Each text holds exactly one mask token. A label word is encoded as it would appear after a space
 * inside a sentence (`' ' + word`, no special tokens): BERT's tokenizer drops the space, RoBERTa's
 * byte-level BPE gives the 'Ġword' pieces a masked word would have. Its score is a log-probability
 * under the MLM distribution at the mask, log_softmax(logits[mask]):
 * - `first` (default): of the label's first sub-token; the usual choice (LM-BFF/PET restrict
 *   verbalizers to one token, and the first piece carries the word's identity), and exact for
 *   single-token labels;
 * - `mean`: the mean over all its sub-tokens of their log-probabilities at that one mask position,
 *   a length-normalised use of every piece (the model does not see them in sequence: one mask).
 * For single-token labels the two agree. The prediction is the arg-max over labels (first wins ties).
 */
import { PandaError } from '@panda/core';
import type { HfTokenizer } from '../tokenizer/hfTokenizer.js';

export type MultiTokenMode = 'first' | 'mean';

export interface ClozeScores {
  /** [texts][labels] log-probabilities (see {@link MultiTokenMode}). */
  scores: number[][];
  /** Index of the best label per text. */
  predictions: number[];
  /** The label words' token ids. */
  labelIds: number[][];
  /** The mask's index in each text's ids (special tokens included). */
  maskPositions: number[];
}

/**
 * Token ids of each label word.
 * @throws `VERBALIZER_INVALID` for an empty label list, a word that tokenizes to nothing or to the
 *   unknown token.
 */
export function encodeLabelWords(tokenizer: HfTokenizer, words: readonly string[]): number[][] {
  if (words.length === 0) throw new PandaError('VERBALIZER_INVALID', 'no label words given');
  return words.map((w) => {
    const ids = tokenizer.encodePlain(` ${w.trim()}`);
    if (ids.length === 0) throw new PandaError('VERBALIZER_INVALID', `label word '${w}' gives no tokens`, { details: { word: w } });
    if (tokenizer.unkId !== undefined && ids.includes(tokenizer.unkId)) {
      throw new PandaError('VERBALIZER_INVALID', `label word '${w}' contains a piece the vocabulary does not have (unknown token)`, { details: { word: w, ids } });
    }
    return ids;
  });
}

/**
 * Where each row's single mask token is.
 * @throws `TEMPLATE_INVALID` when a row has no mask or more than one.
 */
export function maskPositions(rows: readonly (readonly number[])[], maskId: number, texts: readonly string[]): number[] {
  return rows.map((r, i) => {
    const at = r.flatMap((id, j) => (id === maskId ? [j] : []));
    if (at.length !== 1) {
      throw new PandaError('TEMPLATE_INVALID', `text ${i} has ${at.length} mask tokens, cloze scoring needs exactly one: ${JSON.stringify(texts[i])}`, { details: { index: i, masks: at.length } });
    }
    return at[0]!;
  });
}

/**
 * Scores from the logits at each text's mask.
 * @param logits N rows of V logits, row-major (N·V)
 */
export function scoreLabels(logits: Float32Array, vocab: number, labelIds: readonly (readonly number[])[], mode: MultiTokenMode = 'first'): { scores: number[][]; predictions: number[] } {
  const n = logits.length / vocab;
  const scores: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row = logits.subarray(i * vocab, (i + 1) * vocab);
    let max = -Infinity;
    for (const x of row) if (x > max) max = x;
    let sum = 0;
    for (const x of row) sum += Math.exp(x - max);
    const logZ = max + Math.log(sum);
    scores.push(
      labelIds.map((ids) => {
        const used = mode === 'first' ? ids.slice(0, 1) : ids;
        return used.reduce((a, id) => a + (row[id]! - logZ), 0) / used.length;
      }),
    );
  }
  const predictions = scores.map((s) => s.reduce((best, x, j) => (x > s[best]! ? j : best), 0));
  return { scores, predictions };
}
