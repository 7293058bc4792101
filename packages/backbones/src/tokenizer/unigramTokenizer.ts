import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { PandaError } from '@panda/core';
import type { Tokenizer } from './tokenizer.js';

/** SentencePiece's word-boundary mark (U+2581), written before each word. */
export const WORD_MARK = '\u2581';

/** A vocabulary as SentencePiece unigram models export it: `[piece, log-probability]` pairs. */
export const unigramVocabSchema = z.array(z.tuple([z.string(), z.number().nullable()]));
export type UnigramVocab = z.infer<typeof unigramVocabSchema>;

export interface UnigramTokenizerOptions {
  /** Leading entries that are control symbols and never produced by segmentation (USE: 6). */
  reserved?: number;
  /** Id emitted for a character no piece covers (USE: 0). */
  unkId?: number;
  /** Rows in the model's embedding table, if larger than the vocabulary (USE-Lite: 8002). */
  vocabSize?: number;
}

/**
 * SentencePiece unigram segmentation by Viterbi search over piece log-probabilities.
 *
 * It follows the segmentation the Universal Sentence Encoder's TensorFlow.js release performs,
 * because that is what the pretrained weights were packaged with:
 * - text is NFKC-normalised, a word mark is put in front and every plain space becomes a word mark
 *   (other whitespace is kept as is);
 * - a character that starts no piece becomes one unknown token scored 0, and runs of unknown tokens
 *   collapse into one;
 * - a piece with no score (the release's vocabulary has `null` for pieces containing ':') scores 0;
 * - among equal-scoring segmentations the one whose last piece starts latest wins, and a prefix whose
 *   best score is exactly 0 counts as not yet reached (the release's quirk, kept for identical ids).
 */
export class UnigramTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly padId: number;
  readonly #pieces = new Map<string, { id: number; score: number }>();
  readonly #maxPieceChars: number;
  readonly #unkId: number;

  constructor(vocab: UnigramVocab, options: UnigramTokenizerOptions = {}) {
    const reserved = options.reserved ?? 0;
    this.#unkId = options.unkId ?? 0;
    this.padId = this.#unkId;
    this.vocabSize = Math.max(options.vocabSize ?? vocab.length, vocab.length);
    let maxChars = 1;
    for (let id = reserved; id < vocab.length; id++) {
      const [piece, score] = vocab[id]!;
      // A later duplicate overrides an earlier one, as a trie insert would.
      this.#pieces.set(piece, { id, score: score ?? 0 });
      maxChars = Math.max(maxChars, [...piece].length);
    }
    this.#maxPieceChars = maxChars;
  }

  /** Loads a JSON vocabulary file (`[[piece, score], ...]`), validating its shape. */
  static async fromFile(path: string, options: UnigramTokenizerOptions = {}): Promise<UnigramTokenizer> {
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(path, 'utf8'));
    } catch (err) {
      throw new PandaError('MODEL_NOT_FOUND', `cannot read vocabulary ${path}: ${(err as Error).message}`, { cause: err });
    }
    const parsed = unigramVocabSchema.safeParse(raw);
    if (!parsed.success) {
      throw new PandaError('MODEL_NOT_FOUND', `vocabulary ${path} is not a list of [piece, score] pairs: ${parsed.error.issues[0]?.message}`);
    }
    return new UnigramTokenizer(parsed.data, options);
  }

  encode(text: string): number[] {
    const normalised = text.normalize('NFKC');
    if (normalised.length === 0) return [];
    const chars = [...(WORD_MARK + normalised.replaceAll(' ', WORD_MARK))]; // code points
    const n = chars.length;
    // best[j]: score of the best segmentation of chars[0, j); 0 means "not reached yet".
    const best = new Float64Array(n + 1);
    const lastId = new Int32Array(n + 1);
    const lastLen = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) {
      let matched = false;
      let piece = '';
      for (let len = 1; len <= this.#maxPieceChars && i + len <= n; len++) {
        piece += chars[i + len - 1];
        const hit = this.#pieces.get(piece);
        if (!hit) continue;
        matched = true;
        this.#relax(best, lastId, lastLen, i, i + len, hit.id, hit.score);
      }
      if (!matched) this.#relax(best, lastId, lastLen, i, i + 1, this.#unkId, 0);
    }
    const ids: number[] = [];
    for (let j = n; j > 0; j -= lastLen[j]!) {
      const id = lastId[j]!;
      if (id === this.#unkId && ids.at(-1) === this.#unkId) continue; // collapse unknown runs
      ids.push(id);
    }
    return ids.reverse();
  }

  #relax(best: Float64Array, lastId: Int32Array, lastLen: Int32Array, from: number, to: number, id: number, score: number): void {
    const candidate = best[from]! + score;
    if (best[to] === 0 || candidate >= best[to]!) {
      best[to] = candidate;
      lastId[to] = id;
      lastLen[to] = to - from;
    }
  }
}
