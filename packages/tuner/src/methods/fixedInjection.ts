import type * as tf from '@tensorflow/tfjs-core';
import type { EncoderInput, SentenceEncoder } from '@panda/backbones';
import type { Injection } from './method.js';

/** An injection that adds the same fields to every batch; `release` frees what it holds. */
export function fixedInjection(encoder: SentenceEncoder, fields: Partial<EncoderInput>, release: () => void = () => {}): Injection {
  return { encoder, input: () => fields, dispose: release };
}

/** Copies of tensors the caller keeps (a loaded run's weights); the copies are owned by whoever asked. */
export function cloneAll<T extends tf.Tensor>(tensors: readonly T[]): T[] {
  return tensors.map((t) => t.clone() as T);
}
