/** Zero-shot cloze scoring on the tfjs encoder's masked-LM head (same scoring as the ONNX path). */
import * as tf from '@tensorflow/tfjs-core';
import { PandaError } from '@panda/core';
import type { HfEncoder } from '../bert/encoder.js';
import type { HfTokenizer } from '../tokenizer/hfTokenizer.js';
import { encodeLabelWords, maskPositions, scoreLabels, type ClozeScores, type MultiTokenMode } from './labelScores.js';

/**
 * @throws `TOKENIZER_MISMATCH` without a mask token; `TEMPLATE_INVALID` / `VERBALIZER_INVALID` as
 *   in `labelScores.ts`; `MODEL_NOT_FOUND` without an MLM head.
 */
export async function clozeScores(
  encoder: HfEncoder,
  tokenizer: HfTokenizer,
  texts: readonly string[],
  labels: readonly string[],
  options: { multiToken?: MultiTokenMode } = {},
): Promise<ClozeScores> {
  if (tokenizer.maskId === undefined) throw new PandaError('TOKENIZER_MISMATCH', 'the tokenizer has no mask token: cloze scoring needs one');
  const labelIds = encodeLabelWords(tokenizer, labels);
  const rows = texts.map((t) => tokenizer.encode(t));
  const at = maskPositions(rows, tokenizer.maskId, texts);
  if (rows.length === 0) return { scores: [], predictions: [], labelIds, maskPositions: [] };
  const t = Math.max(...rows.map((r) => r.length));
  const ids = new Int32Array(rows.length * t).fill(tokenizer.padId);
  const mask = new Float32Array(rows.length * t);
  rows.forEach((r, i) => {
    ids.set(r, i * t);
    mask.fill(1, i * t, i * t + r.length);
  });
  const idsT = tf.tensor2d(ids, [rows.length, t], 'int32');
  const maskT = tf.tensor2d(mask, [rows.length, t]);
  try {
    const logits = encoder.mlmLogits({ ids: idsT, mask: maskT }, { positions: at }); // [N, V]
    const data = (await logits.data()) as Float32Array;
    const vocab = logits.shape[1]!;
    logits.dispose();
    return { ...scoreLabels(data, vocab, labelIds, options.multiToken ?? 'first'), labelIds, maskPositions: at };
  } finally {
    tf.dispose([idsT, maskT]);
  }
}
