import * as tf from '@tensorflow/tfjs-core';
import { GeneratedSessions, loadOnnxRuntime } from '@panda/runtime/onnx';
import { takesSharedInjections, type EncoderInput, type InferenceEngine } from '@panda/backbones';
import type { HfEncoder, HfEncoderInput } from './encoder.js';

/** Bump when onnxGraph.ts changes what it generates (the cache keys include it). */
const GRAPH_VERSION = 1;

/**
 * A BERT/RoBERTa forward pass with its layers on onnxruntime's CPU kernels: the embeddings (and
 * positions, segments, prompt rows) come from the encoder's own code, the generated layer graph
 * does the rest. Equal to `HfEncoder.forward` to float rounding (tested ≤ 1e-5). Forward only.
 */
export class HfOnnxForward implements InferenceEngine {
  readonly name = 'onnxruntime';
  readonly #sessions: GeneratedSessions;

  private constructor(
    private readonly encoder: HfEncoder,
    options: { threads?: number; cacheKey?: string },
  ) {
    this.#sessions = new GeneratedSessions(`hf-${GRAPH_VERSION}`, options);
  }

  /**
   * @param options.cacheKey names the generated graphs in the on-disk cache (`cachedModel`): it must
   *   change with the weights (a weights hash); without it they are generated in memory each time
   * @returns undefined when onnxruntime-node does not load here (then use `encoder.forward`).
   */
  static async create(encoder: HfEncoder, options: { threads?: number; cacheKey?: string } = {}): Promise<HfOnnxForward | undefined> {
    if (!(await loadOnnxRuntime())) return undefined;
    return new HfOnnxForward(encoder, options);
  }

  /** Inputs without soft tokens, per-example prefixes or a prefix mask (training's) run here. */
  accepts(input: EncoderInput): boolean {
    return takesSharedInjections(input);
  }

  /** @returns pooled and embedding, [B, H] each; the caller owns them. */
  async forward(input: HfEncoderInput): Promise<{ pooled: tf.Tensor2D; embedding: tf.Tensor2D }> {
    const f = this.encoder.onnxFeeds(input);
    const { b, s, t, mp } = f.dims;
    const session = await this.#sessions.get(mp > 0 ? 'prefix' : 'plain', () => this.encoder.onnxModel({ prefix: mp > 0 }));
    const h = this.encoder.hidden;
    const out = await session.run({
      x: { data: f.x, dims: [b, s, h] },
      keyMask: { data: f.keyMask, dims: [b, mp + s] },
      mask: { data: f.mask, dims: [b, t] },
      ...(f.prefix ? { prefix: { data: f.prefix, dims: [mp, f.prefix.length / mp] } } : {}),
    });
    return { pooled: tf.tensor2d(out.pooled!.data as Float32Array, [b, h]), embedding: tf.tensor2d(out.embedding!.data as Float32Array, [b, h]) };
  }

  dispose(): Promise<void> {
    return this.#sessions.dispose();
  }
}
