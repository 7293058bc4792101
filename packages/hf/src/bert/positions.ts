/**
 * Position ids, as Hugging Face's embedding modules make them.
 *
 * - BERT: `past + arange(S)` for every row (`past_key_values_length` = past).
 * - RoBERTa from token ids: `(cumsum(m) + past)·m + padding_idx`, m the real-token mask: real
 *   tokens count from padding_idx + 1 + past, padding sits at padding_idx (Hugging Face derives m
 *   from `ids != pad_token_id`; here it is the attention mask, the same thing whenever padding uses
 *   the pad id, which the tokenizer adapter and the tuner do).
 * - RoBERTa from embeddings (a soft prompt, PEFT's `inputs_embeds`): `padding_idx + 1 + arange(S)`
 *   for every position, and Hugging Face ignores `past_key_values_length` on this path
 *   (`create_position_ids_from_inputs_embeds`); reproduced as is.
 */
import * as tf from '@tensorflow/tfjs-core';
import { PandaError } from '@panda/core';
import type { HfArch } from '../config/hfConfig.js';

export interface PositionOptions {
  arch: HfArch;
  /** Rows of the position table. */
  maxPositionEmbeddings: number;
  /** RoBERTa's padding_idx (= pad_token_id). */
  padId: number;
  /** Positions the prefix takes in front of the sequence (0 unless the offset option is on). */
  past: number;
  /** True when the sequence starts with soft-prompt rows (the `inputs_embeds` path). */
  fromEmbeddings: boolean;
}

/**
 * The largest sequence (prompt rows + tokens) the position table leaves room for, after `past`.
 * BERT: P − past; RoBERTa: P − padding_idx − 1 − past (ids path; the embeddings path ignores past).
 */
export function maxSequence(o: Omit<PositionOptions, 'past'> & { past?: number }): number {
  const past = o.arch === 'roberta' && o.fromEmbeddings ? 0 : (o.past ?? 0);
  return o.arch === 'bert' ? o.maxPositionEmbeddings - past : o.maxPositionEmbeddings - o.padId - 1 - past;
}

/**
 * @param mask float32 [B, S]: 1 for real positions (prompt rows included), 0 for padding.
 * @returns int32 [B, S] rows of the position table; the caller owns it (or call inside tf.tidy).
 * @throws `PROMPT_TOO_LONG` when a position would fall outside the table.
 */
export function positionIds(mask: tf.Tensor2D, o: PositionOptions): tf.Tensor2D {
  const [b, s] = mask.shape;
  const limit = maxSequence(o);
  if (s > limit) {
    throw new PandaError('PROMPT_TOO_LONG', `${s} positions${o.past ? ` after a prefix of ${o.past} positions` : ''} do not fit the model's ${o.maxPositionEmbeddings} position embeddings (at most ${limit})`, {
      details: { positions: s, past: o.past, limit },
    });
  }
  return tf.tidy(() => {
    if (o.arch === 'bert') {
      return tf.tile(tf.reshape(tf.range(o.past, o.past + s, 1, 'int32'), [1, s]), [b, 1]) as tf.Tensor2D; // [B, S]
    }
    if (o.fromEmbeddings) {
      return tf.tile(tf.reshape(tf.range(o.padId + 1, o.padId + 1 + s, 1, 'int32'), [1, s]), [b, 1]) as tf.Tensor2D; // [B, S]
    }
    const counted = tf.mul(tf.add(tf.cumsum(mask, 1), o.past), mask); // [B, S]
    return tf.cast(tf.add(counted, o.padId), 'int32') as tf.Tensor2D; // [B, S]
  });
}
