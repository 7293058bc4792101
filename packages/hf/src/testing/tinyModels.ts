import { afterAll, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@panda/runtime';
import { loadHfBackbone, type HfBackbone } from '../load.js';
import { ARCHS, fixtureDir, loadReference, type Arch } from './fixtures.js';

/**
 * Test setup shared by the encoder tests: the tiny BERT and RoBERTa backbones and their PyTorch
 * reference tensors, loaded on the wasm backend before the file's tests and freed after them.
 * The records fill in `beforeAll`.
 */
export function useTinyModels(): { backbones: Record<Arch, HfBackbone>; refs: Record<Arch, Awaited<ReturnType<typeof loadReference>>> } {
  const backbones = {} as Record<Arch, HfBackbone>;
  const refs = {} as Record<Arch, Awaited<ReturnType<typeof loadReference>>>;
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
    for (const arch of ARCHS) {
      backbones[arch] = await loadHfBackbone(fixtureDir(arch));
      refs[arch] = await loadReference(arch);
    }
  });
  afterAll(() => {
    for (const arch of ARCHS) {
      backbones[arch]?.dispose();
      tf.dispose(refs[arch]?.tensors ?? {});
    }
  });
  return { backbones, refs };
}
