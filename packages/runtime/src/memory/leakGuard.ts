import * as tf from '@tensorflow/tfjs-core';
import { PandaError } from '@panda/core';

export interface LeakReport {
  before: number;
  after: number;
  leaked: number;
  bytesBefore: number;
  bytesAfter: number;
}

/**
 * Runs `fn` and reports how many tensors it left alive. For tests:
 * `expect((await measureLeak(() => step())).leaked).toBe(0)`.
 */
export async function measureLeak<T>(fn: () => T | Promise<T>): Promise<LeakReport & { result: T }> {
  const m0 = tf.memory();
  const result = await fn();
  const m1 = tf.memory();
  return {
    result,
    before: m0.numTensors,
    after: m1.numTensors,
    leaked: m1.numTensors - m0.numTensors,
    bytesBefore: m0.numBytes,
    bytesAfter: m1.numBytes,
  };
}

/** Like `measureLeak`, but throws a `TENSOR_LEAK` PandaError when any tensor is left behind. */
export async function assertNoLeak<T>(label: string, fn: () => T | Promise<T>): Promise<T> {
  const r = await measureLeak(fn);
  if (r.leaked !== 0) {
    throw new PandaError('TENSOR_LEAK', `${label} leaked ${r.leaked} tensor(s) (${r.before} → ${r.after})`, {
      details: { before: r.before, after: r.after },
    });
  }
  return r.result;
}
