import type * as tf from '@tensorflow/tfjs-core';
import type { Injection, MethodInstance } from './method.js';

/**
 * An instance of a method whose parameters are one prompt table [R, embedDim] (prompt tuning, a
 * template's soft tokens), trainable (`params` given) or fixed; `injection` says where the rows go.
 */
export function promptTableInstance(name: string, rows: tf.Tensor2D, injection: Injection, promptPositions: number, free: () => void, params: Array<{ key: string; variable: tf.Variable }>): MethodInstance {
  return {
    name,
    promptPositions,
    dropout: 0,
    frozenFeatures: false,
    paramGroups: (config) => (params.length ? [{ params, lr: config.lr, weightDecay: 0 }] : []),
    training: () => injection,
    inference: () => injection,
    adapterInfo: () => ({ promptLength: rows.shape[0] }),
    dispose: free,
  };
}
