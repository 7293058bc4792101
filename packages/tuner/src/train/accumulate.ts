import * as tf from '@tensorflow/tfjs-core';

/** Loss and gradients (by parameter key) of one micro-batch; tensors owned by the caller (nothing else may be left). */
export type MicroGrads = (rows: number[], weight: number) => Promise<{ value: tf.Scalar; grads: Record<string, tf.Tensor> }>;

/** Splits a batch into `k` micro-batches of (nearly) equal size. */
export function microBatches(rows: readonly number[], k: number): number[][] {
  const size = Math.ceil(rows.length / k);
  const out: number[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/**
 * Gradients of the batch-mean loss computed as a sum over `k` micro-batches, each weighted by its
 * share of the batch, so the result equals the full-batch gradient while only one micro-batch's
 * activations are alive at a time.
 * @returns the batch-mean loss and the summed gradients; the caller owns them.
 */
export async function accumulateGradients(rows: readonly number[], k: number, gradsOf: MicroGrads): Promise<{ value: tf.Scalar; grads: Record<string, tf.Tensor> }> {
  let sum: Record<string, tf.Tensor> = {};
  let loss = tf.scalar(0);
  for (const part of microBatches(rows, k)) {
    const { value, grads } = await gradsOf(part, part.length / rows.length);
    const next = tf.tidy(() => {
      const out: Record<string, tf.Tensor> = {};
      for (const [key, g] of Object.entries(grads)) out[key] = sum[key] ? tf.add(sum[key]!, g) : tf.clone(g);
      return { sum: out, loss: tf.add(loss, value) as tf.Scalar };
    });
    tf.dispose([value, ...Object.values(grads), ...Object.values(sum), loss]);
    sum = next.sum;
    loss = next.loss;
  }
  return { value: loss, grads: sum };
}
