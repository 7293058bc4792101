/**
 * A Hugging Face tokenizer (through transformers.js, loaded strictly locally) behind
 * @panda/backbones' {@link Tokenizer} interface.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AutoTokenizer, BertTokenizer, RobertaTokenizer, type PreTrainedTokenizer } from '@huggingface/transformers';
import { PandaError } from '@panda/core';
import type { Tokenizer } from '@panda/backbones';
import { LOCAL_ONLY, localPretrainedPath } from '../local/transformersEnv.js';
import { tokenizerJsonFromLegacyFiles } from './legacyFiles.js';
import { longestFirst } from './longestFirst.js';
import { applyPairLayout, readPairLayout, type PairLayout } from './pairLayout.js';

export class HfTokenizer implements Tokenizer {
  /** The transformers.js tokenizer this wraps. */
  readonly inner: PreTrainedTokenizer;
  /** Rows of the embedding table the ids index: the largest id the tokenizer knows + 1. */
  readonly vocabSize: number;
  readonly padId: number;
  /** The mask token and its id (`[MASK]`, `<mask>`), when the tokenizer has one. */
  readonly maskToken?: string;
  readonly maskId?: number;
  readonly unkId?: number;
  /** Ids of special tokens (never produced by plain text). */
  readonly specialIds: ReadonlySet<number>;
  /** The special tokens and segment ids around a sentence pair (the tokenizer's post-processor). */
  readonly pairLayout: PairLayout;

  /** @param fallbackPadId the config's pad_token_id, used when the tokenizer names no pad token */
  constructor(inner: PreTrainedTokenizer, fallbackPadId = 0) {
    this.inner = inner;
    let max = -1;
    for (const id of inner.get_vocab().values()) if (id > max) max = id;
    this.vocabSize = max + 1;
    this.padId = typeof inner.pad_token_id === 'number' ? inner.pad_token_id : fallbackPadId;
    if (typeof inner.mask_token_id === 'number') {
      this.maskId = inner.mask_token_id;
      this.maskToken = inner.mask_token;
    }
    if (typeof inner.unk_token_id === 'number') this.unkId = inner.unk_token_id;
    this.specialIds = new Set(inner.all_special_ids);
    this.pairLayout = readPairLayout(inner);
  }

  /** Ids of one text with the model's special tokens ([CLS] … [SEP], <s> … </s>), no padding. */
  encode(text: string): number[] {
    return this.inner.encode(text);
  }

  /**
   * A sentence pair as the model's tokenizer joins it ([CLS] a [SEP] b [SEP] with segment ids
   * 0…0 1…1; <s> a </s></s> b </s> with segment ids all 0), at most `maxTokens` ids: the plain ids
   * of each text, cut by Hugging Face's `longest_first` rule (see `longestFirst.ts`), in the
   * tokenizer's {@link pairLayout}. Untruncated, the ids are transformers.js's
   * `encode(text, { text_pair })`.
   * @throws `CONFIG_INVALID` when `maxTokens` leaves no room for the special tokens.
   */
  encodePair(text: string, pair: string, maxTokens: number): { ids: number[]; typeIds: number[]; truncated: boolean } {
    const specials = this.pairLayout.specials;
    if (!Number.isInteger(maxTokens) || maxTokens < specials) {
      throw new PandaError('CONFIG_INVALID', `encodePair: maxTokens ${maxTokens} leaves no room for the pair's ${specials} special tokens`, { details: { maxTokens, specials } });
    }
    const a = this.encodePlain(text);
    const b = this.encodePlain(pair);
    const [na, nb] = longestFirst(a.length, b.length, maxTokens - specials);
    return { ...applyPairLayout(this.pairLayout, a.slice(0, na), b.slice(0, nb)), truncated: na < a.length || nb < b.length };
  }

  /**
   * One text with its special tokens, cut to `maxTokens` ids without cutting them: `[CLS] a [SEP]`
   * (BERT) or `<s> a </s>` (RoBERTa) with `a` shortened from the end, as Hugging Face truncates.
   * @throws `CONFIG_INVALID` when `maxTokens` leaves no room for the special tokens.
   */
  encodeTruncated(text: string, maxTokens: number): { ids: number[]; truncated: boolean } {
    const full = this.encode(text);
    if (full.length <= maxTokens) return { ids: full, truncated: false };
    // The specials are what the post-processor put around the plain ids (one each side when the
    // plain ids cannot be found in the full ones, which no BERT or RoBERTa tokenizer does).
    const plain = this.encodePlain(text);
    const found = firstIndexOf(full, plain);
    const start = found >= 0 ? found : 1;
    const end = found >= 0 ? found + plain.length : full.length - 1;
    const before = full.slice(0, start);
    const after = full.slice(end);
    const body = full.slice(start, end);
    const room = maxTokens - before.length - after.length;
    if (room < 0) throw new PandaError('CONFIG_INVALID', `encodeTruncated: maxTokens ${maxTokens} leaves no room for ${before.length + after.length} special tokens`, { details: { maxTokens } });
    return { ids: [...before, ...body.slice(0, room), ...after], truncated: true };
  }

  /** Ids of a text without special tokens (label words, template pieces). */
  encodePlain(text: string): number[] {
    return this.inner.encode(text, { add_special_tokens: false });
  }

  /** Token strings of a text, without special tokens. */
  tokenize(text: string): string[] {
    return this.inner.tokenize(text);
  }
}

/**
 * Loads the tokenizer of a Hugging Face folder: `tokenizer.json` (+ `tokenizer_config.json`)
 * through transformers.js's AutoTokenizer, strictly locally; a folder with only `vocab.txt` (BERT)
 * or `vocab.json` + `merges.txt` (RoBERTa) gets the tokenizer.json Hugging Face's converter would make.
 * @param arch which legacy files to look for when there is no tokenizer.json
 * @throws `MODEL_NOT_FOUND` when the folder has no tokenizer files; `TOKENIZER_MISMATCH` when
 *   transformers.js cannot build a tokenizer from them.
 */
export async function loadHfTokenizer(dir: string, options: { arch?: 'bert' | 'roberta'; padId?: number } = {}): Promise<HfTokenizer> {
  const path = await localPretrainedPath(dir);
  const tokenizerConfig = await readJson(join(path, 'tokenizer_config.json'));
  const hasJson = await readFile(join(path, 'tokenizer.json')).then(
    () => true,
    () => false,
  );
  let inner: PreTrainedTokenizer;
  try {
    if (hasJson) {
      inner = await AutoTokenizer.from_pretrained(path, LOCAL_ONLY);
    } else {
      const legacy = options.arch ? await tokenizerJsonFromLegacyFiles(path, options.arch, tokenizerConfig ?? {}) : undefined;
      if (!legacy) {
        throw new PandaError('MODEL_NOT_FOUND', `no tokenizer in ${path}: expected tokenizer.json${options.arch === 'bert' ? ' or vocab.txt' : options.arch === 'roberta' ? ' or vocab.json + merges.txt' : ''}`, { details: { dir: path } });
      }
      const Cls = options.arch === 'roberta' ? RobertaTokenizer : BertTokenizer;
      inner = new Cls(legacy, { ...(tokenizerConfig ?? {}) });
    }
  } catch (err) {
    if (err instanceof PandaError) throw err;
    throw new PandaError('TOKENIZER_MISMATCH', `transformers.js could not build the tokenizer in ${path}: ${(err as Error).message}`, { cause: err, details: { dir: path } });
  }
  return new HfTokenizer(inner, options.padId);
}

async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new PandaError('CONFIG_INVALID', `${path} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}

/** Where `part` first occurs in `whole` as a contiguous run, or −1. */
function firstIndexOf(whole: readonly number[], part: readonly number[]): number {
  outer: for (let i = 0; i + part.length <= whole.length; i++) {
    for (let j = 0; j < part.length; j++) if (whole[i + j] !== part[j]) continue outer;
    return i;
  }
  return -1;
}
