/**
 * The generated ONNX layer graph of tiny BERT and RoBERTa on onnxruntime against the TensorFlow.js
 * encoder (itself checked against PyTorch in parity.test.ts): the same pooled and embedding
 * outputs (≤ 1e-5) plain, with segment ids, with a soft prompt, a deep prefix, and both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadOnnxRuntime } from '@panda/runtime/onnx';
import { useTinyModels } from '../testing/tinyModels.js';
import { ARCHS, maxAbsDiff, type Arch } from '../testing/fixtures.js';
import { HfOnnxForward } from './onnxForward.js';

const ort = await loadOnnxRuntime();
const { backbones, refs } = useTinyModels();
const onnx: Partial<Record<Arch, HfOnnxForward>> = {};
beforeAll(async () => {
  if (ort) for (const arch of ARCHS) onnx[arch] = await HfOnnxForward.create(backbones[arch].encoder);
});
afterAll(async () => {
  for (const arch of ARCHS) await onnx[arch]?.dispose();
});

describe.skipIf(!ort).each(ARCHS)('%s forward on onnxruntime', (arch) => {
  for (const variant of ['plain', 'typeIds', 'prompt', 'prefix', 'prompt + prefix'] as const) {
    it(`${variant}: equals encoder.forward to 1e-5`, async () => {
      const t = refs[arch]!.tensors;
      const ids = t['input/ids'] as tf.Tensor2D;
      const mask = t['input/mask'] as tf.Tensor2D;
      // Segment 1 from position 3 on (RoBERTa has a single segment, so its ids stay 0).
      const typeIds = variant === 'typeIds' ? (tf.tidy(() => tf.mul(tf.cast(tf.greater(tf.tile(tf.reshape(tf.range(0, ids.shape[1]), [1, -1]), [ids.shape[0], 1]), 2), 'int32'), arch === 'bert' ? 1 : 0)) as tf.Tensor2D) : undefined;
      const input = {
        ids,
        mask,
        ...(typeIds ? { typeIds } : {}),
        ...(variant.includes('prompt') ? { prompt: t['input/prompt'] as tf.Tensor2D } : {}),
        ...(variant.includes('prefix') ? { prefix: t['input/prefix'] as tf.Tensor2D } : {}),
      };
      const ref = backbones[arch]!.encoder.forward(input);
      const got = await onnx[arch]!.forward(input);
      expect(maxAbsDiff(got.pooled, ref.pooled)).toBeLessThan(1e-5);
      expect(maxAbsDiff(got.embedding, ref.embedding)).toBeLessThan(1e-5);
      tf.dispose([ref.pooled, ref.embedding, got.pooled, got.embedding, ...(typeIds ? [typeIds] : [])]);
    });
  }
});
