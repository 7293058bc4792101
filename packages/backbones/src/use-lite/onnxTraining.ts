import * as tf from '@tensorflow/tfjs-core';
import { PandaError } from '@panda/core';
import { GeneratedSessions, loadOnnxRuntime, type OnnxTensorData } from '@panda/runtime/onnx';
import type { EncoderInput, SentenceEncoder, TrainingEngine, TrainingGrads, TrainingPass } from '../backbone.js';
import { UseLiteEncoder } from './encoder.js';
import { onnxFeeds } from './onnxForward.js';
import { useLiteOnnxWeights, type UseLiteGraphVariant } from './onnxGraph.js';
import { savedValueKeys } from './savedValues.js';

/** Bump when onnxGraph.ts or onnxBackward.ts change what the training graphs are (cache keys include it). */
const GRAPH_VERSION = 1;

/**
 * USE-Lite's training passes on onnxruntime's CPU kernels: per injection variant (prompt, shared or
 * per-example prefix, both; and with the weights as inputs for a tuned copy of the encoder) a
 * forward graph that outputs the values its backward needs, and the hand-written backward graph
 * (`onnxBackward.ts`) to the prompt rows', prefix table's and (model tuning) the weights'
 * gradients. The values equal the TensorFlow.js encoder's forward and its autodiff gradients to
 * float rounding (tested).
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

  /**
   * A prompt and/or a prefix ([mp, W] or [B, mp, W]) on this encoder, or any input on a trainable
   * copy of it (`trainableCopy()`: model tuning); no soft tokens, prefix masks or segments.
   */
  accepts(input: EncoderInput, encoder: SentenceEncoder = this.encoder): boolean {
    const ours = encoder === this.encoder ? Boolean(input.prompt || input.prefix) : encoder instanceof UseLiteEncoder && Object.keys(encoder.variables()).length > 0;
    return ours && !input.soft && !input.prefixMask && !input.typeIds && input.ids.shape[1] > 0 && input.ids.shape[1] <= this.encoder.maxPositions;
  }

  async forward(input: EncoderInput, encoder: SentenceEncoder = this.encoder): Promise<TrainingPass> {
    const tuned = encoder !== this.encoder ? (encoder as UseLiteEncoder) : undefined;
    const { b, t, variant: injected, feeds } = onnxFeeds(this.encoder, input);
    const variant: UseLiteGraphVariant = { ...injected, ...(tuned ? { weights: true } : {}) };
    const key = `${variant.prompt}-${variant.prefix}-${variant.perExamplePrefix === true}-${variant.weights === true}`;
    // A tuned copy's weights are fed as they are now (the timing signal is a constant of the encoder).
    const weightTensors = tuned ? useLiteOnnxWeights(tuned.weights, tuned.timing) : {};
    const weightFeeds: Record<string, OnnxTensorData> = {};
    for (const [name, w] of Object.entries(weightTensors)) weightFeeds[name] = { data: w.dataSync() as Float32Array, dims: w.shape };
    const forward = await this.#sessions.get(`${key}-forward`, () => this.encoder.onnxTrainingModel(variant, 'forward'));
    let saved: Record<string, OnnxTensorData> | undefined = await forward.run({ ...feeds, ...weightFeeds });
    const embedding = tf.tensor2d(saved.embedding!.data as Float32Array, [b, 512]);
    const promptShape = input.prompt ? ([...input.prompt.shape] as [number, number]) : undefined;
    const prefixShape = variant.prefix ? [...input.prefix!.shape] : undefined;
    const { mask, ids } = feeds;
    return {
      embedding,
      backward: async (gEmbedding) => {
        if (!saved) throw new PandaError('INTERNAL', 'this training pass was released (or its backward already ran): run a new forward pass');
        const values = saved;
        saved = undefined;
        const backward = await this.#sessions.get(`${key}-backward`, () => this.encoder.onnxTrainingModel(variant, 'backward'));
        const bFeeds: Record<string, OnnxTensorData> = { mask: mask!, gEmbedding: { data: gEmbedding.dataSync() as Float32Array, dims: [b, 512] }, ...weightFeeds };
        for (const k of savedValueKeys(this.encoder.weights.layers.length, variant)) bFeeds[k] = values[k]!;
        const out = await backward.run(bFeeds);
        const grads: TrainingGrads = {};
        if (promptShape) grads.prompt = tf.tensor2d(out.gPrompt!.data as Float32Array, promptShape);
        if (prefixShape) grads.prefix = prefixShape.length === 3 ? tf.tensor3d(out.gPrefix!.data as Float32Array, prefixShape as [number, number, number]) : tf.tensor2d(out.gPrefix!.data as Float32Array, prefixShape as [number, number]);
        if (tuned) grads.weights = weightGrads(tuned, out, ids!.data as Int32Array, b * t);
        return grads;
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

/**
 * A tuned copy's weight gradients by variable name, from the backward graph's `grad/…` outputs; the
 * embedding table's is the sum of its token rows' gradients ([V, 256], as `gatherRows`' gradient).
 * The caller owns them.
 */
function weightGrads(tuned: UseLiteEncoder, out: Record<string, OnnxTensorData>, ids: Int32Array, rows: number): Record<string, tf.Tensor> {
  const grads: Record<string, tf.Tensor> = {};
  for (const [name, w] of Object.entries(useLiteOnnxWeights(tuned.weights, tuned.timing))) {
    if (!(w instanceof tf.Variable)) continue;
    if (name === 'embeddings') {
      const table = w.shape as [number, number];
      grads[w.name] = tf.tidy(() => tf.scatterND(tf.tensor2d(ids, [rows, 1], 'int32'), tf.tensor2d(out['grad/embeddingRows']!.data as Float32Array, [rows, table[1]]), table)); // duplicates add up
    } else {
      grads[w.name] = tf.tensor(out[`grad/${name}`]!.data as Float32Array, w.shape);
    }
  }
  return grads;
}
