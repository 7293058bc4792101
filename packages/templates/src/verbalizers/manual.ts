import { PandaError } from '@panda/core';
import type { Tokenizer } from '@panda/backbones';
import type { LabelWords } from './labelWords.js';

/**
 * What to do with a label word the tokenizer splits into several tokens, when one mask position
 * is scored (OpenPrompt's `multi_token_handler`): use the first token's log-probability, the mean
 * or the max over its tokens, or refuse such words ('error').
 */
export type MultiTokenHandling = 'first' | 'mean' | 'max' | 'error';

export interface ManualVerbalizerOptions {
  /** Default 'mean'. */
  multiToken?: MultiTokenHandling;
}

/**
 * A hand-written verbalizer for a model with an MLM head: maps the log-probabilities the model
 * gives the vocabulary at the mask to one score per class. A class's score is the log of the mean
 * probability of its words (log-mean-exp); a word's log-probability follows
 * {@link MultiTokenHandling}. Multi-token words are listed in {@link multiTokenWords}, so the choice
 * is explicit.
 *
 * (USE-Lite has no MLM head; score it with {@link SimilarityClassifier} over the same label words.)
 */
export class ManualVerbalizer {
  readonly labels: readonly string[];
  /** Token ids per class per word: [C][W_c][pieces]. */
  readonly tokens: number[][][];
  readonly multiToken: MultiTokenHandling;

  constructor(words: LabelWords, tokenizer: Pick<Tokenizer, 'encode'>, options: ManualVerbalizerOptions = {}) {
    this.labels = words.labels;
    this.multiToken = options.multiToken ?? 'mean';
    this.tokens = words.words.map((list, c) =>
      list.map((w) => {
        const ids = tokenizer.encode(w);
        if (ids.length === 0) throw new PandaError('VERBALIZER_INVALID', `label word '${w}' of '${words.labels[c]}' has no tokens`);
        if (ids.length > 1 && this.multiToken === 'error') {
          throw new PandaError(
            'VERBALIZER_INVALID',
            `label word '${w}' of '${words.labels[c]}' is ${ids.length} tokens [${ids.join(', ')}]; pick a one-token word, or set multiToken to 'first', 'mean' or 'max'`,
            { details: { label: words.labels[c], word: w, ids } },
          );
        }
        return ids;
      }),
    );
  }

  /** Words the tokenizer splits into several tokens, with their ids. */
  get multiTokenWords(): Array<{ label: string; word: number; ids: number[] }> {
    const out: Array<{ label: string; word: number; ids: number[] }> = [];
    this.tokens.forEach((list, c) => list.forEach((ids, w) => ids.length > 1 && out.push({ label: this.labels[c]!, word: w, ids })));
    return out;
  }

  /**
   * Class scores from the log-probabilities at the mask position.
   * @param logProbs [V] log-softmax over the vocabulary at the mask.
   * @returns [C] log-scores (log-mean-exp over each class's words).
   */
  scores(logProbs: ArrayLike<number>): number[] {
    return this.tokens.map((list) => {
      const perWord = list.map((ids) => {
        const lp = ids.map((id) => {
          const v = logProbs[id];
          if (v === undefined) throw new PandaError('SHAPE_MISMATCH', `token id ${id} is outside the ${logProbs.length} log-probabilities`);
          return v;
        });
        switch (this.multiToken) {
          case 'first':
          case 'error':
            return lp[0]!;
          case 'mean':
            return lp.reduce((a, b) => a + b, 0) / lp.length;
          case 'max':
            return Math.max(...lp);
        }
      });
      const m = Math.max(...perWord);
      return m + Math.log(perWord.reduce((a, v) => a + Math.exp(v - m), 0) / perWord.length);
    });
  }
}
