import * as tf from '@tensorflow/tfjs-core';
import { PandaError, Rng } from '@panda/core';
import type { PairEncoding, Tokenizer } from '@panda/backbones';
import type { Example } from '@panda/datasets';
import { renderTokens, type SoftLayout, type Template } from '@panda/templates';

/** A template every example is rendered through, with its soft layout. */
export interface TemplateRendering {
  template: Template;
  layout: SoftLayout;
}

/** Examples tokenized once, truncated to the token budget the encoder leaves after the prompt. */
export interface EncodedSet {
  ids: number[][];
  labels: number[];
  exampleIds: string[];
  /** How many texts were cut to fit. */
  truncated: number;
  /**
   * Template soft tokens (mixed templates): for each example, the positions in `ids` that take a
   * row of the trainable prompt table instead of a token, and which row.
   */
  soft?: Array<Array<{ position: number; row: number }>>;
  /**
   * Two-tower pairs: each example's second text, tokenized on its own (`ids` then holds the first
   * text alone). Absent for joined pairs and single-text tasks.
   */
  idsB?: number[][];
  /** The tokenizer's own pair encoding: each id's segment (0 first text, 1 second), beside `ids`. */
  typeIds?: number[][];
}

export type { PairEncoding };

/**
 * The two-tower view of a set: its second texts as the token rows (for {@link padBatch} and
 * evaluation), or undefined when the set has no second texts.
 */
export function secondTower(set: EncodedSet): EncodedSet | undefined {
  if (!set.idsB) return undefined;
  const { idsB, soft: _soft, typeIds: _typeIds, ...rest } = set;
  return { ...rest, ids: idsB };
}

/**
 * Tokenizes examples for the encoder. Without a template a sentence pair is encoded as one joined
 * sequence (`text + ' ' + textB`) clipped to `maxTokens`, as two towers, or by the tokenizer's own
 * pair format (`tokenizer`: `[CLS] a [SEP] b [SEP]` with segment ids). With a template each example is
 * rendered through it (`renderTokens`: only `|shorten` fields are cut, the template's own text and
 * soft tokens never), and the soft-token positions are recorded in `soft`.
 * @throws PandaError `PROMPT_TOO_LONG` when a template's fixed parts alone exceed `maxTokens`.
 */
export function encodeExamples(tokenizer: Tokenizer, examples: readonly Example[], maxTokens: number, rendering?: TemplateRendering, pairs: PairEncoding = 'joined'): EncodedSet {
  if (pairs === 'two-tower' && examples.some((e) => e.textB !== undefined)) {
    if (rendering) throw new PandaError('CONFIG_INVALID', 'two-tower pairs and a template cannot be combined: a template renders the whole pair into one sequence');
    let truncated = 0;
    const tokens = (text: string): number[] => {
      const t = clipText(tokenizer, text, maxTokens);
      if (t.truncated) truncated++;
      return t.ids;
    };
    const ids = examples.map((e) => tokens(e.text));
    const idsB = examples.map((e) => tokens(e.textB ?? ''));
    return { ids, idsB, labels: examples.map((e) => e.label), exampleIds: examples.map((e) => e.id), truncated };
  }
  if (pairs === 'tokenizer' && !rendering && examples.some((e) => e.textB !== undefined)) return tokenizerPairs(tokenizer, examples, maxTokens);
  if (rendering) {
    let cut = 0;
    const rendered = examples.map((e) => {
      const r = renderTokens(rendering.template, e, { tokenizer, maxLength: maxTokens, layout: rendering.layout });
      if (r.truncated > 0) cut++;
      return r.ids.length === 0 ? { ...r, ids: [tokenizer.padId] } : r;
    });
    return {
      ids: rendered.map((r) => r.ids),
      labels: examples.map((e) => e.label),
      exampleIds: examples.map((e) => e.id),
      truncated: cut,
      ...(rendering.layout.rows > 0 ? { soft: rendered.map((r) => r.soft) } : {}),
    };
  }
  let truncated = 0;
  const ids = examples.map((e) => {
    const t = clipText(tokenizer, e.textB === undefined ? e.text : `${e.text} ${e.textB}`, maxTokens);
    if (t.truncated) truncated++;
    return t.ids;
  });
  return { ids, labels: examples.map((e) => e.label), exampleIds: examples.map((e) => e.id), truncated };
}

/**
 * One text's ids within `maxTokens`: the tokenizer's own truncation when it has special tokens to
 * keep (`[CLS] … [SEP]`), else the ids cut at the end. An empty text still needs one position for
 * the pooled mean: it gets the pad id.
 */
function clipText(tokenizer: Tokenizer, text: string, maxTokens: number): { ids: number[]; truncated: boolean } {
  if (tokenizer.encodeTruncated) {
    const r = tokenizer.encodeTruncated(text, maxTokens);
    return r.ids.length === 0 ? { ids: [tokenizer.padId], truncated: r.truncated } : r;
  }
  const t = tokenizer.encode(text);
  return { ids: t.length === 0 ? [tokenizer.padId] : t.slice(0, maxTokens), truncated: t.length > maxTokens };
}

/** Pairs in the tokenizer's own format; single texts of the set get segment 0 throughout. */
function tokenizerPairs(tokenizer: Tokenizer, examples: readonly Example[], maxTokens: number): EncodedSet {
  if (!tokenizer.encodePair) throw new PandaError('CONFIG_INVALID', "this backbone's tokenizer has no pair format: use pair encoding 'joined' or 'two-tower'");
  let truncated = 0;
  const ids: number[][] = [];
  const typeIds: number[][] = [];
  for (const e of examples) {
    if (e.textB === undefined) {
      const t = clipText(tokenizer, e.text, maxTokens);
      if (t.truncated) truncated++;
      const row = t.ids;
      ids.push(row);
      typeIds.push(row.map(() => 0));
      continue;
    }
    const pair = tokenizer.encodePair(e.text, e.textB, maxTokens);
    if (pair.truncated) truncated++;
    ids.push(pair.ids);
    typeIds.push(pair.typeIds);
  }
  return { ids, typeIds, labels: examples.map((e) => e.label), exampleIds: examples.map((e) => e.id), truncated };
}

/**
 * Batch order for one epoch: shuffled by the seed; with `bucket`, batches are formed from
 * length-sorted windows of `bucket` batches, so padding is small, and then the batches are shuffled.
 */
export function epochBatches(lengths: readonly number[], batchSize: number, rng: Rng, bucket = 0): number[][] {
  const order = rng.shuffle(Array.from({ length: lengths.length }, (_, i) => i));
  const batches: number[][] = [];
  const window = bucket > 0 ? bucket * batchSize : order.length;
  for (let start = 0; start < order.length; start += window) {
    const chunk = order.slice(start, start + window);
    if (bucket > 0) chunk.sort((a, b) => lengths[a]! - lengths[b]!);
    for (let i = 0; i < chunk.length; i += batchSize) batches.push(chunk.slice(i, i + batchSize));
  }
  return bucket > 0 ? rng.shuffle(batches) : batches;
}

/** Fixed batches in the given order (evaluation), optionally length-sorted for speed. */
export function orderedBatches(lengths: readonly number[], batchSize: number, sortByLength = true): number[][] {
  const order = Array.from({ length: lengths.length }, (_, i) => i);
  if (sortByLength) order.sort((a, b) => lengths[a]! - lengths[b]!);
  const out: number[][] = [];
  for (let i = 0; i < order.length; i += batchSize) out.push(order.slice(i, i + batchSize));
  return out;
}

/**
 * Pads a batch to its own longest row (dynamic padding).
 * @returns ids int32 [B, T], mask float32 [B, T] and, for a set with template soft tokens, `soft`
 *   int32 [B, T] (the prompt-table row at each soft position, −1 elsewhere); the caller owns them.
 */
export function padBatch(set: EncodedSet, rows: readonly number[], padId: number): { ids: tf.Tensor2D; mask: tf.Tensor2D; soft?: tf.Tensor2D; typeIds?: tf.Tensor2D } {
  const t = Math.max(...rows.map((r) => set.ids[r]!.length));
  const ids = new Int32Array(rows.length * t).fill(padId);
  const mask = new Float32Array(rows.length * t);
  const soft = set.soft ? new Int32Array(rows.length * t).fill(-1) : undefined;
  const typeIds = set.typeIds ? new Int32Array(rows.length * t) : undefined;
  rows.forEach((r, b) => {
    const row = set.ids[r]!;
    ids.set(row, b * t);
    if (typeIds) typeIds.set(set.typeIds![r]!, b * t);
    mask.fill(1, b * t, b * t + row.length);
    if (soft) for (const s of set.soft![r]!) soft[b * t + s.position] = s.row;
  });
  return {
    ids: tf.tensor2d(ids, [rows.length, t], 'int32'),
    mask: tf.tensor2d(mask, [rows.length, t]),
    ...(soft ? { soft: tf.tensor2d(soft, [rows.length, t], 'int32') } : {}),
    ...(typeIds ? { typeIds: tf.tensor2d(typeIds, [rows.length, t], 'int32') } : {}),
  };
}
