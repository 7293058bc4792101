import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, parseBackendName } from './initBackend.js';
import { measureLeak, assertNoLeak } from '../memory/leakGuard.js';

describe('initBackend', () => {
  it('skips the absent native backends and picks wasm, with a one-line report', async () => {
    const choice = await initBackend({ backend: undefined });
    expect(['tensorflow-gpu', 'tensorflow', 'wasm']).toContain(choice.name);
    expect(choice.report).toMatch(/^panda: TensorFlow\.js backend /);
    expect(choice.report.includes('\n')).toBe(false);
    expect(tf.getBackend()).toBe(choice.tfBackend);
  });

  it('honours an explicit override and fails clearly for an absent one', async () => {
    const cpu = await initBackend({ backend: 'cpu' });
    expect(tf.getBackend()).toBe('cpu');
    expect(cpu.report).toContain('requested');
    await initBackend({ backend: 'wasm' });
    expect(tf.getBackend()).toBe('wasm');
    await expect(initBackend({ backend: 'tensorflow-gpu' })).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
  });

  it('validates names from the environment variable', () => {
    expect(parseBackendName(' WASM ')).toBe('wasm');
    expect(() => parseBackendName('cuda')).toThrow(/expected one of tensorflow-gpu, tensorflow, wasm, cpu/);
  });
});

describe('leak guard', () => {
  it('counts tensors left alive and throws TENSOR_LEAK', async () => {
    await initBackend({ backend: 'wasm' });
    let kept: tf.Tensor | undefined;
    const r = await measureLeak(() => {
      kept = tf.ones([2]);
    });
    expect(r.leaked).toBe(1);
    kept!.dispose();
    await expect(assertNoLeak('leaky', () => void tf.zeros([3]))).rejects.toMatchObject({ code: 'TENSOR_LEAK' });
    await expect(assertNoLeak('clean', () => tf.tidy(() => tf.sum(tf.ones([3])).dataSync()[0]))).resolves.toBe(3);
  });
});
