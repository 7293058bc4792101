import * as tf from '@tensorflow/tfjs-core';
import { PandaError } from '@panda/core';

/**
 * Soft tokens placed inside the text (a mixed template such as `{text} {soft:"It was"} {mask}.`):
 * a trainable table of R rows and, for every position of the batch, which row stands there.
 * The caller keeps ownership of both tensors.
 */
export interface SoftTokens {
  /** float32 [R, embedDim]: the trainable rows, in the width of the encoder's token input vectors. */
  rows: tf.Tensor2D;
  /** int32 [B, T]: the row taking each position, −1 where the position keeps its token. */
  index: tf.Tensor2D;
}

/**
 * Puts soft rows in place of token vectors: out[b, t] = rows[index[b, t]] + offset[t] where
 * index ≥ 0, else base[b, t]. Exact: a position that keeps its token gets `base` bit for bit, and a
 * soft position gets row + offset bit for bit (the blend multiplies by exact 0/1).
 *
 * The rows are picked with a one-hot matrix product rather than `gather`, so the gradient needs no
 * scatter kernel (the wasm backend has none for gather's gradient) and reaches `rows` only where
 * they are used. An index ≥ R is not range-checked here (that would read the indices back every
 * step) and would act as −1; the code that builds the indices (the tuner's batches) checks them.
 * @param base [B, T, D] the layer input of the tokens (with their position signal)
 * @param offset [T, D] what a soft row gets added at its position (the position signal), or none
 * @returns [B, T, D]; the caller owns it (or call inside tf.tidy).
 */
export function mixSoftTokens(base: tf.Tensor3D, soft: SoftTokens, offset?: tf.Tensor2D): tf.Tensor3D {
  const [b, t, d] = base.shape;
  if (soft.index.rank !== 2 || soft.index.shape[0] !== b || soft.index.shape[1] !== t) {
    throw new PandaError('SHAPE_MISMATCH', `soft-token index is [${soft.index.shape}], the batch is [${b}, ${t}]`);
  }
  if (soft.rows.rank !== 2 || soft.rows.shape[1] !== d || soft.rows.shape[0] < 1) {
    throw new PandaError('SHAPE_MISMATCH', `soft-token rows are [${soft.rows.shape}], the encoder takes [R ≥ 1, ${d}]`);
  }
  return tf.tidy(() => {
    const r = soft.rows.shape[0];
    const idx = soft.index.dtype === 'int32' ? soft.index : tf.cast(soft.index, 'int32'); // [B, T]
    const onehot = tf.oneHot(tf.reshape(idx, [b * t]) as tf.Tensor1D, r); // [B·T, R], a zero row where index is −1
    const isSoft = tf.reshape(tf.sum(onehot, 1), [b, t, 1]); // [B, T, 1] 1 at soft positions
    let rows = tf.reshape(tf.matMul(onehot, soft.rows), [b, t, d]) as tf.Tensor3D; // [B, T, D]
    if (offset) rows = tf.add(rows, offset); // [B, T, D]
    return tf.add(tf.mul(base, tf.sub(1, isSoft)), tf.mul(rows, isSoft)) as tf.Tensor3D; // [B, T, D]
  });
}
