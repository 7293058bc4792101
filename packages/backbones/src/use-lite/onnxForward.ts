import * as tf from '@tensorflow/tfjs-core';
import { PandaError } from '@panda/core';
import { GeneratedSessions, loadOnnxRuntime, type OnnxTensorData } from '@panda/runtime/onnx';
import { takesSharedInjections, type EncoderInput, type InferenceEngine } from '../backbone.js';
import type { UseLiteEncoder } from './encoder.js';
import type { UseLiteGraphVariant } from './onnxGraph.js';

/** Bump when onnxGraph.ts changes what it generates (the cache keys include it). */
const GRAPH_VERSION = 1;

/** What the ONNX forward takes: the encoder input without soft tokens or per-example prefixes. */
export interface OnnxForwardInput {
  /** int32 [B, T] */
  ids: tf.Tensor2D;
  /** float32 [B, T] */
  mask: tf.Tensor2D;
  /** [m, 256] soft prompt rows */
  prompt?: tf.Tensor2D;
  /** [mp, 1536] shared deep-prompt table (inference: no dropout) */
  prefix?: tf.Tensor2D;
}

/**
 * USE-Lite's forward pass on onnxruntime's CPU kernels: a session per injection variant (plain,
 * prompt, prefix, both), each over a graph generated from the encoder's weights. The values equal
 * `encoder.forward` to float rounding (tested ≤ 1e-5). Forward only: training stays on TensorFlow.js.
 */
export class UseLiteOnnxForward implements InferenceEngine {
  readonly name = 'onnxruntime';
  readonly #sessions: GeneratedSessions;

  private constructor(
    private readonly encoder: UseLiteEncoder,
    options: { threads?: number; cacheKey?: string },
  ) {
    this.#sessions = new GeneratedSessions(`use-lite-${GRAPH_VERSION}`, options);
  }

  /**
   * @param options.cacheKey names the generated graphs in the on-disk cache (`cachedModel`): it must
   *   change with the weights (a weights hash); without it they are generated in memory each time
   * @returns undefined when onnxruntime-node does not load here (then use `encoder.forward`).
   */
  static async create(encoder: UseLiteEncoder, options: { threads?: number; cacheKey?: string } = {}): Promise<UseLiteOnnxForward | undefined> {
    if (!(await loadOnnxRuntime())) return undefined;
    return new UseLiteOnnxForward(encoder, options);
  }

  /** Inputs without soft tokens, per-example prefixes or a prefix mask (training's) run here. */
  accepts(input: EncoderInput): boolean {
    return takesSharedInjections(input);
  }

  /**
   * @returns pooled and embedding, [B, 512] each; the caller owns them.
   * @throws `PROMPT_TOO_LONG` when m + T > 128 (as the encoder)
   */
  async forward(input: OnnxForwardInput | EncoderInput): Promise<{ pooled: tf.Tensor2D; embedding: tf.Tensor2D }> {
    if (input.prefix && input.prefix.rank !== 2) throw new PandaError('CONFIG_INVALID', 'the ONNX forward takes a shared [mp, 1536] prefix');
    const { b, variant, feeds } = onnxFeeds(this.encoder, input);
    const session = await this.#sessions.get(`${variant.prompt}-${variant.prefix}`, () => this.encoder.onnxModel(variant));
    const out = await session.run(feeds);
    return { pooled: tf.tensor2d(out.pooled!.data as Float32Array, [b, 512]), embedding: tf.tensor2d(out.embedding!.data as Float32Array, [b, 512]) };
  }

  dispose(): Promise<void> {
    return this.#sessions.dispose();
  }
}

/**
 * The feeds of a generated USE-Lite graph for an encoder input, with the encoder's own edge cases
 * (tokens past 128 dropped; an all-empty batch gets one masked position), and the graph variant
 * it needs (a [B, mp, W] prefix: `perExamplePrefix`).
 * @throws `PROMPT_TOO_LONG` when m + T > 128 (as the encoder)
 */
export function onnxFeeds(encoder: UseLiteEncoder, input: OnnxForwardInput | EncoderInput): { b: number; t: number; variant: UseLiteGraphVariant; feeds: Record<string, OnnxTensorData> } {
  const [b, tIn] = input.ids.shape;
  const m = input.prompt?.shape[0] ?? 0;
  if (m > 0 && m + tIn > encoder.maxPositions) throw new PandaError('PROMPT_TOO_LONG', `${m} prompt rows + ${tIn} token positions > ${encoder.maxPositions}`);
  const t = tIn === 0 ? 1 : Math.min(tIn, encoder.maxPositions);
  const idsAll = tIn === 0 ? new Int32Array(b) : Int32Array.from(input.ids.dataSync());
  const maskAll = tIn === 0 ? new Float32Array(b) : Float32Array.from(input.mask.dataSync());
  const ids = t === tIn || tIn === 0 ? idsAll : cropRows(idsAll, b, tIn, t);
  const mask = t === tIn || tIn === 0 ? maskAll : cropRows(maskAll, b, tIn, t);
  const prefix = input.prefix;
  const mp = prefix ? prefix.shape[prefix.rank - 2]! : 0;
  const variant: UseLiteGraphVariant = { prompt: m > 0, prefix: mp > 0, ...(prefix && mp > 0 && prefix.rank === 3 ? { perExamplePrefix: true } : {}) };
  const feeds: Record<string, OnnxTensorData> = { ids: { data: ids, dims: [b, t] }, mask: { data: mask, dims: [b, t] } };
  if (variant.prompt) feeds.prompt = { data: input.prompt!.dataSync() as Float32Array, dims: [...input.prompt!.shape] };
  if (variant.prefix) feeds.prefix = { data: prefix!.dataSync() as Float32Array, dims: [...(prefix!.shape as number[])] };
  return { b, t, variant, feeds };
}

function cropRows<T extends Float32Array | Int32Array>(data: T, b: number, from: number, to: number): T {
  const out = new (data.constructor as new (n: number) => T)(b * to);
  for (let r = 0; r < b; r++) out.set(data.subarray(r * from, r * from + to), r * to);
  return out;
}
