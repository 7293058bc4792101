/**
 * Folders without a `tokenizer.json` (older BERT/RoBERTa checkpoints ship only `vocab.txt`, or
 * `vocab.json` + `merges.txt`): the `tokenizers` JSON that Hugging Face's converters
 * (`convert_slow_tokenizer.py`: BertConverter, RobertaConverter) would make from them, so that
 * transformers.js can load the same tokenizer.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PandaError } from '@panda/core';

type Json = Record<string, unknown>;

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

function added(content: string, id: number, lstrip = false): Json {
  return { id, content, single_word: false, lstrip, rstrip: false, normalized: false, special: true };
}

/**
 * Builds `tokenizer.json` from `vocab.txt` (WordPiece) or `vocab.json` + `merges.txt` (byte-level
 * BPE), honouring `do_lower_case` and the special tokens of `tokenizer_config.json`.
 * @returns undefined when the folder has neither.
 * @throws `TOKENIZER_MISMATCH` when a special token the post-processor needs is not in the vocabulary.
 */
export async function tokenizerJsonFromLegacyFiles(dir: string, arch: 'bert' | 'roberta', config: Json): Promise<Json | undefined> {
  const vocabTxt = await readText(join(dir, 'vocab.txt'));
  const special = (key: string, fallback: string): string => {
    const v = config[key];
    if (typeof v === 'string') return v;
    if (v && typeof v === 'object' && typeof (v as Json)['content'] === 'string') return (v as Json)['content'] as string;
    return fallback;
  };
  const idOf = (vocab: Record<string, number>, token: string): number => {
    const id = vocab[token];
    if (id === undefined) throw new PandaError('TOKENIZER_MISMATCH', `${dir}: special token '${token}' is not in the vocabulary`, { details: { dir, token } });
    return id;
  };
  if (arch === 'bert' && vocabTxt !== undefined) {
    const vocab: Record<string, number> = {};
    vocabTxt.replace(/\n$/, '').split('\n').forEach((t, i) => {
      vocab[t.replace(/\r$/, '')] = i;
    });
    const cls = special('cls_token', '[CLS]');
    const sep = special('sep_token', '[SEP]');
    const tokens = [special('pad_token', '[PAD]'), special('unk_token', '[UNK]'), cls, sep, special('mask_token', '[MASK]')];
    const lower = config['do_lower_case'] !== false;
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: tokens.filter((t) => t in vocab).map((t) => added(t, vocab[t]!)),
      normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: lower },
      pre_tokenizer: { type: 'BertPreTokenizer' },
      post_processor: {
        type: 'TemplateProcessing',
        single: [{ SpecialToken: { id: cls, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: sep, type_id: 0 } }],
        pair: [
          { SpecialToken: { id: cls, type_id: 0 } },
          { Sequence: { id: 'A', type_id: 0 } },
          { SpecialToken: { id: sep, type_id: 0 } },
          { Sequence: { id: 'B', type_id: 1 } },
          { SpecialToken: { id: sep, type_id: 1 } },
        ],
        special_tokens: {
          [cls]: { id: cls, ids: [idOf(vocab, cls)], tokens: [cls] },
          [sep]: { id: sep, ids: [idOf(vocab, sep)], tokens: [sep] },
        },
      },
      decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
      model: { type: 'WordPiece', unk_token: special('unk_token', '[UNK]'), continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
    };
  }
  const vocabJson = await readText(join(dir, 'vocab.json'));
  const mergesTxt = await readText(join(dir, 'merges.txt'));
  if (arch === 'roberta' && vocabJson !== undefined && mergesTxt !== undefined) {
    let vocab: Record<string, number>;
    try {
      vocab = JSON.parse(vocabJson) as Record<string, number>;
    } catch (err) {
      throw new PandaError('CONFIG_INVALID', `${join(dir, 'vocab.json')} is not valid JSON: ${(err as Error).message}`, { cause: err });
    }
    const merges = mergesTxt
      .split('\n')
      .map((l) => l.replace(/\r$/, ''))
      .filter((l) => l && !l.startsWith('#version'));
    const bos = special('bos_token', '<s>');
    const eos = special('eos_token', '</s>');
    const cls = special('cls_token', bos);
    const sep = special('sep_token', eos);
    const mask = special('mask_token', '<mask>');
    const plain = [bos, special('pad_token', '<pad>'), eos, special('unk_token', '<unk>')];
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: [...plain.filter((t) => t in vocab).map((t) => added(t, vocab[t]!)), ...(mask in vocab ? [added(mask, vocab[mask]!, true)] : [])],
      normalizer: null,
      pre_tokenizer: { type: 'ByteLevel', add_prefix_space: config['add_prefix_space'] === true, trim_offsets: true, use_regex: true },
      post_processor: { type: 'RobertaProcessing', sep: [sep, idOf(vocab, sep)], cls: [cls, idOf(vocab, cls)], trim_offsets: true, add_prefix_space: config['add_prefix_space'] === true },
      decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
      model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, vocab, merges },
    };
  }
  return undefined;
}
