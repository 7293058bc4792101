import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { PandaError } from '@panda/core';
import type { Backbone } from '@panda/backbones';
import { sample, type Example } from '@panda/datasets';
import { encodeExamples, orderedBatches, padBatch } from '@panda/tuner';

/**
 * How a task is mapped into the shared space (PANDA's transferability metric, reconstructed: see
 * docs/design/transferability.md). The paper leaves these open; the defaults are ours.
 */
export const taskEmbeddingConfigSchema = z
  .object({
    samples: z.number().int().min(1).default(100).describe('examples of the task run through its own prompt (PANDA: 100)'),
    token: z
      .enum(['sentence', 'mean', 'first'])
      .default('sentence')
      .describe("what represents an example: 'sentence' the encoder's sentence embedding (USE-Lite's output; like BERT's pooler), 'mean' the mean of a layer's token states, 'first' the first real token's state (like [CLS])"),
    layer: z.number().int().min(-8).default(-1).describe("layer for 'mean' and 'first' (negative counts from the last: -1 is the last layer)"),
    seed: z.number().int().default(0).describe('seed of the sample of examples'),
    batchSize: z.number().int().min(1).default(50).describe('examples per forward pass'),
    maxSeqLength: z.number().int().min(1).optional().describe('clip every text to this many tokens (use the tuning runs\' value)'),
  })
  .strict();
export type TaskEmbeddingConfig = z.infer<typeof taskEmbeddingConfigSchema>;
export type TaskEmbeddingConfigInput = z.input<typeof taskEmbeddingConfigSchema>;

/** A task's trained prompt: `prompt` [m, embedDim] or `prefix` [m, 2·Σ d_l] (either may be absent: the plain model). */
export interface PromptWeights {
  prompt?: tf.Tensor2D;
  prefix?: tf.Tensor2D;
}

/** What {@link describeTask} measures for one task, all plain arrays. */
export interface TaskDescription {
  /** The task embedding ĥ: the mean over the sampled examples of their representation. [hidden] */
  embedding: Float32Array;
  /**
   * For the ON metric: per feed-forward neuron of every layer (layers concatenated), the fraction of
   * the sampled examples whose first real token activates it (> 0). [L·ffn]
   */
  activationRate: Float32Array;
  /** Ids of the sampled examples. */
  sampleIds: string[];
}

/**
 * Runs the frozen model with a task's own trained prompt on a seeded sample of the task's examples
 * and returns the task embedding (their mean representation) and the neuron activation rates. Every
 * tensor is freed before it returns.
 */
export function describeTask(backbone: Backbone, weights: PromptWeights, examples: readonly Example[], config: TaskEmbeddingConfigInput = {}): TaskDescription {
  const cfg = taskEmbeddingConfigSchema.parse(config);
  const { encoder, tokenizer } = backbone;
  if (examples.length === 0) throw new PandaError('CONFIG_INVALID', 'a task embedding needs at least one example');
  if (!encoder.probe) throw new PandaError('CONFIG_INVALID', `backbone ${backbone.id} cannot expose its layers: task embeddings need probe()`);
  const picked = sample(examples, cfg.samples, `${cfg.seed}/task-embedding`);
  const m = weights.prompt ? weights.prompt.shape[0] : 0;
  const set = encodeExamples(tokenizer, picked, Math.min(encoder.maxPositions - m, cfg.maxSeqLength ?? Number.POSITIVE_INFINITY));
  const rows = set.ids.map((r) => r.length);
  let sum: Float64Array | undefined;
  let rate: Float64Array | undefined;
  for (const batch of orderedBatches(rows, cfg.batchSize, false)) {
    const [rep, act] = tf.tidy(() => {
      const { ids, mask } = padBatch(set, batch, tokenizer.padId); // [b, T]
      const input = { ids, mask, ...(weights.prompt ? { prompt: weights.prompt } : {}), ...(weights.prefix ? { prefix: weights.prefix } : {}) };
      const probe = encoder.probe!(input); // hidden: L × [b, m+T, H]; ffn: L × [b, m+T, F]
      const layers = probe.hidden.length;
      const li = cfg.layer < 0 ? layers + cfg.layer : cfg.layer;
      if (li < 0 || li >= layers) throw new PandaError('CONFIG_INVALID', `layer ${cfg.layer} is outside the model's ${layers} layers`);
      const b = batch.length;
      const first = (t: tf.Tensor3D) => tf.squeeze(tf.slice(t, [0, probe.offset, 0], [b, 1, t.shape[2]]), [1]) as tf.Tensor2D; // [b, width]
      let r: tf.Tensor2D; // [b, H]
      if (cfg.token === 'sentence') r = encoder.forward(input).embedding;
      else if (cfg.token === 'first') r = first(probe.hidden[li]!);
      else {
        const h = tf.slice(probe.hidden[li]!, [0, probe.offset, 0], [b, ids.shape[1], probe.hidden[li]!.shape[2]]); // [b, T, H]
        r = tf.div(tf.sum(tf.mul(h, tf.expandDims(mask, 2)), 1), tf.maximum(tf.sum(mask, 1, true), 1)) as tf.Tensor2D; // [b, H]
      }
      const active = tf.concat(probe.ffn.map((f) => tf.cast(tf.greater(first(f), 0), 'float32')), 1); // [b, L·F]
      return [tf.sum(r, 0), tf.sum(active, 0)]; // [H], [L·F]
    });
    const r = rep.dataSync() as Float32Array;
    const a = act.dataSync() as Float32Array;
    tf.dispose([rep, act]);
    sum ??= new Float64Array(r.length);
    rate ??= new Float64Array(a.length);
    for (let i = 0; i < r.length; i++) sum[i]! += r[i]!;
    for (let i = 0; i < a.length; i++) rate[i]! += a[i]!;
  }
  const n = picked.length;
  return {
    embedding: Float32Array.from(sum!, (x) => x / n),
    activationRate: Float32Array.from(rate!, (x) => x / n),
    sampleIds: picked.map((e) => e.id),
  };
}
