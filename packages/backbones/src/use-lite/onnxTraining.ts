import * as tf from '@tensorflow/tfjs-core';
import { GeneratedSessions, loadOnnxRuntime, type OnnxTensorData } from '@panda/runtime/onnx';
import type { EncoderInput, TrainingEngine, TrainingPass } from '../backbone.js';
import type { UseLiteEncoder } from './encoder.js';
import { onnxFeeds } from './onnxForward.js';
import { savedValueKeys } from './onnxBackward.js';

/** Bump when onnxGraph.ts or onnxBackward.ts change what the training graphs are (cache keys include it). */
const GRAPH_VERSION = 1;

/**
 * USE-Lite's training passes for a frozen encoder on onnxruntime's CPU kernels: per injection
 * variant (prompt, shared or per-example prefix, both) a forward graph that outputs the values its
 * backward needs, and the hand-written backward graph (`onnxBackward.ts`) to the prompt rows' and
 * prefix table's gradients. The values equal the TensorFlow.js encoder's forward and its autodiff
 * gradients to float rounding (tested).
 */
export class UseLiteOnnxTraining implements TrainingEngine {
  readonly name = 'onnxruntime';
  readonly #sessions: GeneratedSessions;

  private constructor(
    private readonly encoder: UseLiteEncoder,
    options: { threads?: number; cacheKey?: string },
  ) {
    this.#sessions = new GeneratedSessions(`use-lite-train-${GRAPH_VERSION}`, options);
  }

  /**
   * @param options.cacheKey as for `UseLiteOnnxForward.create` (a weights hash)
   * @returns undefined when onnxruntime-node does not load here or `PANDA_ONNX_TRAIN=0`
   */
  static async create(encoder: UseLiteEncoder, options: { threads?: number; cacheKey?: string } = {}): Promise<UseLiteOnnxTraining | undefined> {
    if (process.env.PANDA_ONNX_TRAIN === '0' || !(await loadOnnxRuntime())) return undefined;
    return new UseLiteOnnxTraining(encoder, options);
  }

  /** A prompt and/or a prefix ([mp, W] or [B, mp, W]); no soft tokens, prefix masks or segments. */
  accepts(input: EncoderInput): boolean {
    return !input.soft && !input.prefixMask && !input.typeIds && input.ids.shape[1] > 0 && input.ids.shape[1] <= this.encoder.maxPositions;
  }

  async forward(input: EncoderInput): Promise<TrainingPass> {
    const { b, variant, feeds } = onnxFeeds(this.encoder, input);
    const key = `${variant.prompt}-${variant.prefix}-${variant.perExamplePrefix === true}`;
    const forward = await this.#sessions.get(`${key}-forward`, () => this.encoder.onnxTrainingModel(variant, 'forward'));
    let saved: Record<string, OnnxTensorData> | undefined = await forward.run(feeds);
    const embedding = tf.tensor2d(saved.embedding!.data as Float32Array, [b, 512]);
    const promptShape = input.prompt ? ([...input.prompt.shape] as [number, number]) : undefined;
    const prefixShape = variant.prefix ? [...input.prefix!.shape] : undefined;
    const mask = feeds.mask!;
    return {
      embedding,
      backward: async (gEmbedding) => {
        if (!saved) throw new Error('this training pass was released');
        const values = saved;
        saved = undefined;
        const backward = await this.#sessions.get(`${key}-backward`, () => this.encoder.onnxTrainingModel(variant, 'backward'));
        const bFeeds: Record<string, OnnxTensorData> = { mask, gEmbedding: { data: gEmbedding.dataSync() as Float32Array, dims: [b, 512] } };
        for (const k of savedValueKeys(this.encoder.weights.layers.length)) bFeeds[k] = values[k]!;
        const out = await backward.run(bFeeds);
        return {
          ...(promptShape ? { prompt: tf.tensor2d(out.gPrompt!.data as Float32Array, promptShape) } : {}),
          ...(prefixShape ? { prefix: prefixShape.length === 3 ? tf.tensor3d(out.gPrefix!.data as Float32Array, prefixShape as [number, number, number]) : tf.tensor2d(out.gPrefix!.data as Float32Array, prefixShape as [number, number]) } : {}),
        };
      },
      release: () => {
        saved = undefined;
      },
    };
  }

  dispose(): Promise<void> {
    return this.#sessions.dispose();
  }
}
