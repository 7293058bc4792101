import { PandaError, silent, type ProgressListener } from '@panda/core';
import { accuracy } from '@panda/datasets';
import { cosine } from '@panda/core';
import type { TokenEmbedder } from '../embed/embedder.js';
import { renderTokens } from '../render/renderTokens.js';
import type { TemplateInput } from '../render/fields.js';
import { Template } from '../syntax/template.js';
import type { LabelWords } from './labelWords.js';

/**
 * How a sentence encoder without an MLM head scores a class:
 * - 'placeholder': cos(E(template with the mask → placeholder), E(answer with the mask → word));
 *   one query per example, so changing label words costs only the (few) answer embeddings.
 * - 'filled': cos(E(template with the mask → word), E(answer with the mask → word)); one query per
 *   class and word.
 */
export type SimilarityMode = 'placeholder' | 'filled';

/**
 * Removing a class bias (Zhao et al. 2021, "Calibrate before use"): 'content-free' subtracts the
 * class scores of inputs with every field set to 'N/A' and to '' (averaged); 'mean' subtracts each
 * class's mean score over the scored examples (uses their inputs, never their labels).
 */
export type Calibration = 'none' | 'content-free' | 'mean';

export interface SimilarityOptions {
  /** Default 'placeholder'. */
  mode?: SimilarityMode;
  /** What the mask becomes in the query ('placeholder' mode). Default '' (left out). */
  placeholder?: string;
  /**
   * The label view: a template whose `{mask}` takes each label word and which may read fields
   * (`{mask}, {textB}`). Default: the template itself without its fields and soft tokens
   * (`{text} It was {mask}.` → `It was {mask}.`).
   */
  answer?: Template | string;
  /** Default 'mean'. */
  calibration?: Calibration;
}

/** Label words per class, or `'choices'`: class i's word is the example's i-th choice (COPA). */
export type ClassWords = LabelWords | 'choices';

/** A template's hard view: its soft tokens left out (a frozen model has no values for them). */
export function hardView(template: Template): Template {
  if (!template.hasSoft) return template;
  return Template.fromAst({ nodes: template.ast.nodes.filter((n) => n.kind !== 'soft') }, template.name);
}

/** The label view of a template: its literal text and mask, without fields or soft tokens. */
export function labelView(template: Template): Template {
  return Template.fromAst({ nodes: template.ast.nodes.filter((n) => n.kind === 'text' || n.kind === 'mask') }, template.name && `${template.name}/answer`);
}

const CONTENT_FREE = ['N/A', ''];

function contentFree(example: TemplateInput, value: string): TemplateInput {
  return {
    text: value,
    ...(example.textB !== undefined ? { textB: value } : {}),
    ...(example.choices ? { choices: example.choices.map(() => value) } : {}),
    ...(example.fields ? { fields: Object.fromEntries(Object.keys(example.fields).map((k) => [k, value])) } : {}),
  };
}

/** Scores of examples against classes: raw cosines and calibrated scores, both [N][C]. */
export interface SimilarityScores {
  raw: number[][];
  scores: number[][];
  predictions: number[];
}

/**
 * Zero-shot classification with a sentence encoder: each class is scored by the similarity of the
 * rendered input to the rendered label description (see {@link SimilarityMode}); the class with the
 * highest calibrated score wins. With several words per class, a class's score is the mean over
 * its words. This is what makes cloze, QA and descriptive templates usable on USE-Lite, which has no
 * `[MASK]` token.
 *
 * @example
 * const clf = new SimilarityClassifier(Template.parse('{text|shorten} It was {mask}.'), defaultLabelWords(['negative', 'positive']));
 * const { predictions } = await clf.score(examples, embedder);
 */
export class SimilarityClassifier {
  readonly template: Template;
  readonly answer: Template;
  readonly words: ClassWords;
  readonly mode: SimilarityMode;
  readonly placeholder: string;
  readonly calibration: Calibration;

  constructor(template: Template, words: ClassWords, options: SimilarityOptions = {}) {
    template.requireMask();
    this.template = hardView(template);
    const answer = options.answer === undefined ? labelView(this.template) : typeof options.answer === 'string' ? Template.parse(options.answer) : options.answer;
    answer.requireMask();
    this.answer = hardView(answer);
    this.words = words;
    this.mode = options.mode ?? 'placeholder';
    this.placeholder = options.placeholder ?? '';
    this.calibration = options.calibration ?? 'mean';
  }

  /** The same template with other words or options. */
  with(changes: { words?: ClassWords; options?: SimilarityOptions }): SimilarityClassifier {
    return new SimilarityClassifier(this.template, changes.words ?? this.words, {
      mode: this.mode,
      placeholder: this.placeholder,
      answer: this.answer,
      calibration: this.calibration,
      ...changes.options,
    });
  }

  /** The words of each class for one example: [C][W]. */
  wordsFor(example: TemplateInput): string[][] {
    if (this.words === 'choices') {
      if (!example.choices || example.choices.length < 2) throw new PandaError('VERBALIZER_INVALID', `example ${example.id ?? ''} has no choices to score`);
      return example.choices.map((c) => [c]);
    }
    return this.words.words;
  }

  /** Whether the label views are the same for every example (then they are embedded once). */
  get sharedKeys(): boolean {
    return this.words !== 'choices' && this.answer.fields.length === 0 && this.mode === 'placeholder';
  }

  /** Token ids of the query for an example ('placeholder' mode). */
  queryIds(example: TemplateInput, embedder: Pick<TokenEmbedder, 'tokenizer' | 'maxLength'>): number[] {
    return renderTokens(this.template, example, { tokenizer: embedder.tokenizer, maxLength: embedder.maxLength, mask: { text: this.placeholder } }).ids;
  }

  /** Token ids of the label view of an example with the mask set to `word`. */
  keyIdsFor(example: TemplateInput, word: string, embedder: Pick<TokenEmbedder, 'tokenizer' | 'maxLength'>): number[] {
    return renderTokens(this.answer, example, { tokenizer: embedder.tokenizer, maxLength: embedder.maxLength, mask: { text: word } }).ids;
  }

  /** Token ids of the label views of an example, [C][W]. */
  keyIds(example: TemplateInput, embedder: Pick<TokenEmbedder, 'tokenizer' | 'maxLength'>): number[][][] {
    return this.wordsFor(example).map((list) => list.map((w) => this.keyIdsFor(example, w, embedder)));
  }

  /**
   * The class scores of content-free inputs (every field 'N/A', then ''), averaged: [C]. `like` gives
   * the fields to blank (any example of the task).
   */
  async contentFreeBias(like: TemplateInput, embedder: TokenEmbedder): Promise<number[]> {
    if (this.words === 'choices') throw new PandaError('CONFIG_INVALID', "content-free calibration needs fixed label words; use 'mean' or 'none' for choices");
    const free = CONTENT_FREE.map((v) => contentFree(like, v));
    const freeRaw = this.rawScores(await this.embed(free, embedder));
    return freeRaw[0]!.map((_, c) => freeRaw.reduce((a, r) => a + r[c]!, 0) / freeRaw.length);
  }

  /**
   * Embeds what scoring needs for these examples; {@link scoreEmbedded} turns it into scores. Split in
   * two so a search can embed the queries once and try many label words.
   */
  async embed(examples: readonly TemplateInput[], embedder: TokenEmbedder): Promise<EmbeddedSet> {
    const keys = examples.map((x) => this.keyIds(x, embedder));
    const queries =
      this.mode === 'placeholder'
        ? examples.map((x) => [[this.queryIds(x, embedder)]])
        : examples.map((x) =>
            this.wordsFor(x).map((list) =>
              list.map((w) => renderTokens(this.template, x, { tokenizer: embedder.tokenizer, maxLength: embedder.maxLength, mask: { text: w } }).ids),
            ),
          );
    const flat: number[][] = [];
    const index = (rows: number[][][]): number[][] => rows.map((list) => list.map((ids) => (flat.push(ids), flat.length - 1)));
    const qIdx = queries.map(index);
    const kIdx = keys.map(index);
    const vectors = await embedder.embedIds(flat);
    const pick = (idx: number[][][]): Float32Array[][][] => idx.map((c) => c.map((w) => w.map((i) => vectors[i]!)));
    return { queries: pick(qIdx), keys: pick(kIdx) };
  }

  /** Raw scores [N][C] from embeddings: mean over words of the cosine of query and key. */
  rawScores(set: EmbeddedSet): number[][] {
    return set.keys.map((classes, n) =>
      classes.map((words, c) => {
        let total = 0;
        words.forEach((key, w) => {
          const q = this.mode === 'placeholder' ? set.queries[n]![0]![0]! : set.queries[n]![c]![w]!;
          total += cosine(q, key);
        });
        return total / words.length;
      }),
    );
  }

  /** Scores examples; see {@link SimilarityClassifier}. */
  async score(examples: readonly TemplateInput[], embedder: TokenEmbedder, onProgress: ProgressListener = silent): Promise<SimilarityScores> {
    onProgress({ type: 'start', phase: 'zero-shot', total: examples.length, message: this.template.source });
    const raw = this.rawScores(await this.embed(examples, embedder));
    let bias: number[] | undefined;
    if (this.calibration === 'mean' && raw.length > 0) {
      bias = raw[0]!.map((_, c) => raw.reduce((a, r) => a + r[c]!, 0) / raw.length);
    } else if (this.calibration === 'content-free' && examples.length > 0) {
      bias = await this.contentFreeBias(examples[0]!, embedder);
    }
    const scores = bias ? raw.map((r) => r.map((v, c) => v - bias![c]!)) : raw;
    const predictions = scores.map(argmax);
    onProgress({ type: 'done', phase: 'zero-shot' });
    return { raw, scores, predictions };
  }

  /** Accuracy on labelled examples. */
  async evaluate(examples: ReadonlyArray<TemplateInput & { label: number }>, embedder: TokenEmbedder): Promise<{ accuracy: number; predictions: number[] }> {
    const { predictions } = await this.score(examples, embedder);
    return { accuracy: accuracy(predictions, examples.map((e) => e.label)), predictions };
  }
}

/** Embeddings of queries and keys: queries[N][1][1] ('placeholder') or [N][C][W]; keys[N][C][W]. */
export interface EmbeddedSet {
  queries: Float32Array[][][];
  keys: Float32Array[][][];
}

/** The mean cosine of a query and each of a class's label-view embeddings (its score with one word list). */
export function meanCosine(query: ArrayLike<number>, keys: readonly ArrayLike<number>[]): number {
  return keys.reduce((a: number, key) => a + cosine(query, key), 0) / keys.length;
}

/** Index of the largest value (the first on ties). */
export function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}
