/**
 * Where a Hugging Face tokenizer puts its special tokens around a sentence pair, read once from
 * the tokenizer's own post-processor (BERT's TemplateProcessing: `[CLS] A [SEP] B [SEP]`,
 * RoBERTa's RobertaProcessing: `<s> A </s></s> B </s>`), so a pair can be rebuilt from the plain
 * ids of each text after truncation.
 */
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import { PandaError } from '@panda/core';

/** One piece of the pair template: a special token, or the slot of the first (A) or second (B) text. */
export type PairPiece = { kind: 'special'; id: number; typeId: number } | { kind: 'A' | 'B'; typeId: number };

export interface PairLayout {
  readonly pieces: readonly PairPiece[];
  /** Number of special tokens the template adds. */
  readonly specials: number;
}

const SLOT_A = '\u0000panda:A';
const SLOT_B = '\u0000panda:B';

/**
 * Runs the tokenizer's post-processor on two placeholder tokens and maps the special tokens it
 * adds to ids. Segment ids are the post-processor's (BERT: 0 for `[CLS] A [SEP]`, 1 for `B [SEP]`)
 * when the tokenizer returns token type ids, all 0 otherwise (RoBERTa's tokenizer returns none, so
 * its model sees segment 0 everywhere; transformers.js's RobertaProcessing would give the second
 * text 1, an id RoBERTa's one-row token type table does not have).
 * @throws `TOKENIZER_MISMATCH` when the post-processor's output cannot be read as a pair template.
 */
export function readPairLayout(inner: PreTrainedTokenizer): PairLayout {
  const post = inner._tokenizer.post_processor;
  const out = post ? post.post_process([SLOT_A], [SLOT_B], true) : { tokens: [SLOT_A, SLOT_B], token_type_ids: [0, 1] };
  const tokens = [...out.tokens, ...(out.tokens_pair ?? [])];
  const types = out.token_type_ids ?? tokens.map(() => 0);
  const segments = inner.return_token_type_ids;
  const vocab = inner.get_vocab();
  const pieces = tokens.map((token, i): PairPiece => {
    const typeId = segments ? (types[i] ?? 0) : 0;
    if (token === SLOT_A) return { kind: 'A', typeId };
    if (token === SLOT_B) return { kind: 'B', typeId };
    const id = vocab.get(token);
    if (id === undefined) throw new PandaError('TOKENIZER_MISMATCH', `the tokenizer's pair template uses the token ${JSON.stringify(token)}, which is not in its vocabulary`);
    return { kind: 'special', id, typeId };
  });
  if (pieces.filter((p) => p.kind === 'A').length !== 1 || pieces.filter((p) => p.kind === 'B').length !== 1) {
    throw new PandaError('TOKENIZER_MISMATCH', `cannot read the tokenizer's pair template (${post?.constructor.name ?? 'no post-processor'}: ${JSON.stringify(tokens)})`);
  }
  return { pieces, specials: pieces.filter((p) => p.kind === 'special').length };
}

/** The pair `a`, `b` (plain ids, already truncated) in the layout: ids and their segment ids. */
export function applyPairLayout(layout: PairLayout, a: readonly number[], b: readonly number[]): { ids: number[]; typeIds: number[] } {
  const ids: number[] = [];
  const typeIds: number[] = [];
  for (const p of layout.pieces) {
    const part = p.kind === 'special' ? [p.id] : p.kind === 'A' ? a : b;
    ids.push(...part);
    for (let i = 0; i < part.length; i++) typeIds.push(p.typeId);
  }
  return { ids, typeIds };
}
