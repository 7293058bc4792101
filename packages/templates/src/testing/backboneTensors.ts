import * as tf from '@tensorflow/tfjs-core';
import type { TensorFactory } from '../embed/embedder.js';

/**
 * The TensorFlow.js instance tests hand to `backboneEmbedder` (a dev dependency of this package:
 * the library itself stays free of TensorFlow; callers pass their `tf`). pnpm links the same
 * tfjs-core copy as @panda/backbones uses, so tensors made here reach the encoder.
 */
export function backboneTensors(): TensorFactory & { memory(): { numTensors: number }; getBackend(): string } {
  return tf as unknown as TensorFactory & { memory(): { numTensors: number }; getBackend(): string };
}
