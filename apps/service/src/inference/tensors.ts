import * as tf from '@tensorflow/tfjs-core';

/**
 * The TensorFlow.js tensor constructor the templates package's embedder takes (it does not depend
 * on TensorFlow.js itself), from the same tfjs-core instance the backbones use. Exported for the
 * CLI, which has no direct TensorFlow.js dependency.
 */
export const tensorFactory = {
  tensor2d: (values: Int32Array | Float32Array, shape: [number, number], dtype: 'int32' | 'float32') => tf.tensor2d(values, shape, dtype),
};
