/**
 * BertEmbeddings / RobertaEmbeddings: LayerNorm(word[ids] + token_type[types] + position[pos]),
 * summed in Hugging Face's order (inputs_embeds + token_type, then + position). A soft prompt's rows
 * stand in for word embeddings in front of the tokens (PEFT prompt tuning's `inputs_embeds`), so
 * they get token type 0 and positions like any token.
 */
import * as tf from '@tensorflow/tfjs-core';
import { gatherRows } from '@panda/runtime';
import { layerNorm, repeatRows } from './ops.js';
import type { BertWeights } from './weights.js';

/**
 * @param ids int32 [B, T]
 * @param positions int32 [B, S] (S = m + T)
 * @param prompt [m, H] soft-prompt rows, or undefined
 * @param typeIds int32 [B, T] segment ids (default all 0; prompt rows get 0)
 * @returns [B, S, H] (call inside tf.tidy)
 */
export function embed(w: BertWeights, eps: number, ids: tf.Tensor2D, positions: tf.Tensor2D, prompt?: tf.Tensor2D, typeIds?: tf.Tensor2D): tf.Tensor3D {
  const [b, t] = ids.shape;
  const h = w.wordEmbeddings.shape[1];
  const flat = tf.reshape(ids.dtype === 'int32' ? ids : tf.cast(ids, 'int32'), [b * t]) as tf.Tensor1D; // [B·T]
  let x = tf.reshape(gatherRows(w.wordEmbeddings, flat), [b, t, h]) as tf.Tensor3D; // [B, T, H]
  const m = prompt ? prompt.shape[0] : 0;
  if (prompt && m > 0) x = tf.concat([repeatRows(prompt, b), x], 1) as tf.Tensor3D; // [B, S, H]
  const s = m + t;
  let types: tf.Tensor; // [1, 1, H] or [B, S, H]
  if (typeIds) {
    const tt = typeIds.dtype === 'int32' ? typeIds : tf.cast(typeIds, 'int32');
    const full = m > 0 ? tf.concat([tf.zeros([b, m], 'int32'), tt], 1) : tt; // [B, S]
    types = tf.reshape(gatherRows(w.tokenTypeEmbeddings, tf.reshape(full, [b * s]) as tf.Tensor1D), [b, s, h]); // [B, S, H]
  } else {
    types = tf.reshape(tf.slice(w.tokenTypeEmbeddings, [0, 0], [1, h]), [1, 1, h]); // [1, 1, H]
  }
  const pos = tf.reshape(gatherRows(w.positionEmbeddings, tf.reshape(positions, [b * s]) as tf.Tensor1D), [b, s, h]); // [B, S, H]
  return layerNorm(tf.add(tf.add(x, types), pos) as tf.Tensor3D, w.embLn, eps); // [B, S, H]
}
