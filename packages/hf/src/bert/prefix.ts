/**
 * The deep prompt (P-tuning v2 prefix) as one encoder layer sees it. The table layout is
 * @panda/backbones' {@link PrefixLayout}: [mp, 2·L·d] shared by the batch or [B, mp, 2·L·d] per
 * example; layer l's key is slot 2l (columns [2l·d, (2l+1)·d)), its value slot 2l+1. Each slot is
 * split into heads exactly as P-tuning v2's `get_prompt` does (`view(B, m, 2L, n_h, d_h)`, then
 * `permute(2, 0, 3, 1, 4)`): [mp, d] → [B, n_h, mp, d_h].
 */
import * as tf from '@tensorflow/tfjs-core';
import { PandaError } from '@panda/core';
import { prefixTableWidth, type PrefixLayout } from '@panda/backbones';
import { repeatRows } from './ops.js';

/** A checked prefix: the table, its rows and the mask over them. */
export interface PrefixState {
  /** [mp, W] or [B, mp, W] */
  table: tf.Tensor2D | tf.Tensor3D;
  /** mp */
  m: number;
  /** float32 [B, mp] */
  mask: tf.Tensor2D;
}

/**
 * Checks a prefix (and its mask) against the layout and the batch.
 * @returns mp
 * @throws `SHAPE_MISMATCH`
 */
export function checkPrefix(prefix: tf.Tensor, prefixMask: tf.Tensor | undefined, b: number, layout: PrefixLayout): number {
  const width = prefixTableWidth(layout);
  const ok = (prefix.rank === 2 && prefix.shape[1] === width) || (prefix.rank === 3 && prefix.shape[0] === b && prefix.shape[2] === width);
  if (!ok) {
    throw new PandaError('SHAPE_MISMATCH', `prefix must be [mp, ${width}] or [${b}, mp, ${width}] (keys and values of ${layout.widths.length} layers of width ${layout.widths[0]}), got [${prefix.shape}]`, {
      details: { expectedWidth: width, actual: prefix.shape },
    });
  }
  const mp = prefix.shape[prefix.rank - 2]!;
  if (prefixMask && (prefixMask.rank !== 2 || prefixMask.shape[0] !== b || prefixMask.shape[1] !== mp)) {
    throw new PandaError('SHAPE_MISMATCH', `prefixMask must be [${b}, ${mp}], got [${prefixMask.shape}]`);
  }
  return mp;
}

/**
 * Layer `li`'s key and value, split into heads.
 * @returns k, v: [B, n_h, mp, d_h] each (call inside tf.tidy).
 */
export function prefixKv(prefix: PrefixState, li: number, d: number, heads: number, b: number): { k: tf.Tensor4D; v: tf.Tensor4D } {
  const m = prefix.m;
  const dh = d / heads;
  const slot = (cols: number): tf.Tensor4D => {
    const t = prefix.table;
    const rows =
      t.rank === 2
        ? repeatRows(tf.slice(t as tf.Tensor2D, [0, cols], [m, d]), b) // [B, mp, d]
        : tf.slice(t as tf.Tensor3D, [0, 0, cols], [b, m, d]); // [B, mp, d]
    return tf.transpose(tf.reshape(rows, [b, m, heads, dh]), [0, 2, 1, 3]); // [B, n_h, mp, d_h]
  };
  return { k: slot(2 * li * d), v: slot((2 * li + 1) * d) };
}
