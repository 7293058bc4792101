import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend/initBackend.js';
import { freezeWeight, frozenLinear, frozenLinear3d, disposeFrozen } from './frozenLinear.js';

beforeAll(async () => {
  await initBackend();
});

describe('frozenLinear', () => {
  it('gives the same value and input gradient as a plain matMul, and no weight gradient', () => {
    const x = tf.randomNormal([5, 7], 0, 1, 'float32', 1) as tf.Tensor2D;
    const w = tf.randomNormal([7, 3], 0, 1, 'float32', 2) as tf.Tensor2D;
    const b = tf.randomNormal([3], 0, 1, 'float32', 3) as tf.Tensor1D;
    const fw = freezeWeight(w);
    const weights = tf.randomNormal([5, 3], 0, 1, 'float32', 4);
    const f1 = (xx: tf.Tensor) => tf.sum(tf.mul(frozenLinear(xx as tf.Tensor2D, fw, b), weights));
    const f2 = (xx: tf.Tensor) => tf.sum(tf.mul(tf.add(tf.matMul(xx as tf.Tensor2D, w), b), weights));
    const g1 = tf.grad(f1)(x);
    const g2 = tf.grad(f2)(x);
    expect(Array.from(f1(x).dataSync())[0]).toBeCloseTo(Array.from(f2(x).dataSync())[0]!, 4);
    const diff = tf.max(tf.abs(tf.sub(g1, g2))).dataSync()[0]!;
    expect(diff).toBeLessThan(1e-5);
    tf.dispose([x, b, weights, g1, g2]);
    disposeFrozen(fw);
  });

  it('handles 3-d inputs and leaks nothing', () => {
    const w = tf.randomNormal([4, 6], 0, 1, 'float32', 5) as tf.Tensor2D;
    const fw = freezeWeight(w);
    const x = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 6) as tf.Tensor3D;
    const y = frozenLinear3d(x, fw);
    expect(y.shape).toEqual([2, 3, 6]);
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(y, tf.reshape(tf.matMul(tf.reshape(x, [6, 4]), w), [2, 3, 6])))).dataSync()[0]);
    expect(diff).toBeLessThan(1e-5);
    y.dispose();
    const before = tf.memory().numTensors;
    const g = tf.grad((xx: tf.Tensor) => tf.sum(frozenLinear3d(xx as tf.Tensor3D, fw)))(x);
    g.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x]);
    disposeFrozen(fw);
  });
});
