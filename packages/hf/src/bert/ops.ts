/** Element-wise building blocks of BERT/RoBERTa, as torch computes them. */
import * as tf from '@tensorflow/tfjs-core';
import type { HiddenAct } from '../config/hfConfig.js';
import type { LayerNormWeights } from './weights.js';

/**
 * torch.nn.LayerNorm over the last axis: (x − mean) / √(var + eps) · γ + β, biased variance.
 * @param x [N, H] (or [..., H]); @returns the same shape.
 */
export function layerNorm<T extends tf.Tensor>(x: T, ln: LayerNormWeights, eps: number): T {
  return tf.tidy(() => {
    const mean = tf.mean(x, -1, true); // [N, 1]
    const centered = tf.sub(x, mean); // [N, H]
    const variance = tf.mean(tf.square(centered), -1, true); // [N, 1]
    const normed = tf.mul(centered, tf.rsqrt(tf.add(variance, eps))); // [N, H]
    return tf.add(tf.mul(normed, ln.gamma), ln.beta) as T; // [N, H]
  });
}

/** GELU, erf form (Hugging Face 'gelu'): 0.5·x·(1 + erf(x/√2)). */
export function geluErf<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)) as T);
}

/** GELU, tanh approximation ('gelu_new', 'gelu_pytorch_tanh'). */
export function geluTanh<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => {
    const inner = tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI));
    return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1)) as T;
  });
}

/** The activation a config's `hidden_act` names. */
export function activation(name: HiddenAct): <T extends tf.Tensor>(x: T) => T {
  switch (name) {
    case 'gelu':
      return geluErf;
    case 'gelu_new':
    case 'gelu_pytorch_tanh':
      return geluTanh;
    case 'relu':
      return (x) => tf.relu(x);
  }
}

/**
 * [m, c] → [B, m, c], B copies of the same rows, with a gradient that is one sum over the batch
 * (tfjs-wasm's Tile kernel and its gradient are slow; see @panda/backbones' USE-Lite encoder).
 */
export function repeatRows(p: tf.Tensor2D, b: number): tf.Tensor3D {
  const [m, c] = p.shape;
  const op = tf.customGrad((x) => {
    const p3 = tf.reshape(x as tf.Tensor2D, [1, m, c]); // [1, m, c]
    return {
      value: b === 1 ? p3 : (tf.concat(new Array<tf.Tensor>(b).fill(p3), 0) as tf.Tensor3D), // [B, m, c]
      gradFunc: (dy) => [tf.reshape(tf.sum(dy as tf.Tensor3D, 0), [m, c])], // [m, c]
    };
  });
  return op(p) as tf.Tensor3D;
}
