import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from './initBackend.js';
import { bundleGradients, VENDORED_GRADIENTS } from '../../scripts/vendor-gradients.js';

// The kernels panda's training steps differentiate through (attention, layer norm, GELU, heads,
// cross-entropy, KD, Adam's inputs): each must have a gradient once @panda/runtime is imported.
const TRAINING_KERNELS = [
  'BatchMatMul', 'Add', 'AddN', 'Sub', 'Multiply', 'RealDiv', 'Neg', 'Exp', 'Log', 'Sqrt', 'Rsqrt',
  'Square', 'SquaredDifference', 'Pow', 'Tanh', 'Erf', 'Sigmoid', 'Relu', 'Softmax', 'LogSoftmax',
  'Max', 'Sum', 'Mean', 'Reshape', 'Transpose', 'Tile', 'GatherV2', 'Concat', 'Slice', 'Pack',
  'Unpack', 'Cast', 'Maximum', 'Minimum', 'ClipByValue', 'SplitV', 'OneHot', 'BroadcastTo',
];

describe('gradients without the @tensorflow/tfjs umbrella', () => {
  it('registers every gradient panda trains through', () => {
    const missing = TRAINING_KERNELS.filter((k) => tf.getGradient(k) === undefined);
    expect(missing).toEqual([]);
  });

  it.each(['wasm', 'cpu'] as const)('differentiates through matMul, tanh, softmax on %s', async (backend) => {
    await initBackend({ backend });
    expect(tf.getBackend()).toBe(backend);
    const w = tf.variable(tf.tensor2d([[0.5, -1], [2, 0.25]]));
    const x = tf.tensor2d([[1, 2], [3, 4]]);
    const { value, grads } = tf.variableGrads(() =>
      tf.sum(tf.mul(tf.softmax(tf.tanh(tf.matMul(x, w))), tf.tensor2d([[1, 0], [0, 1]]))),
    );
    const g = grads[w.name]!.arraySync() as number[][];
    // Central differences on the same function.
    const f = (ww: tf.Tensor2D): number =>
      tf.tidy(() => tf.sum(tf.mul(tf.softmax(tf.tanh(tf.matMul(x, ww))), tf.tensor2d([[1, 0], [0, 1]]))).dataSync()[0]!);
    const base = w.arraySync();
    const eps = 1e-3;
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 2; j++) {
        const plus = base.map((r) => [...r]);
        const minus = base.map((r) => [...r]);
        plus[i]![j]! += eps;
        minus[i]![j]! -= eps;
        const num = (f(tf.tensor2d(plus)) - f(tf.tensor2d(minus))) / (2 * eps);
        expect(g[i]![j]!).toBeCloseTo(num, 2);
      }
    }
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    tf.dispose([w, x, value, ...Object.values(grads)]);
  });

  it('the vendored bundle is the bundle of the installed tfjs-core', async () => {
    const committed = readFileSync(VENDORED_GRADIENTS, 'utf8');
    const version = (await import('@tensorflow/tfjs-core/package.json', { with: { type: 'json' } })).default.version;
    expect(committed).toContain(`// @tensorflow/tfjs-core ${version} dist/register_all_gradients.js`);
    expect(committed === (await bundleGradients()), 'run `pnpm --filter @panda/runtime vendor:gradients`').toBe(true);
  });
});
