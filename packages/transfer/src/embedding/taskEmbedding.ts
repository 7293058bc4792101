import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { PandaError } from '@panda/core';
import type { Backbone } from '@panda/backbones';
import { sample, type Example } from '@panda/datasets';
import { AdaptedModel, loadAdaptedModel, orderedBatches, padBatch, secondTower, type EncodedSet, type Injection } from '@panda/tuner';

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
    maxSeqLength: z.number().int().min(1).optional().describe("clip every text to this many tokens (default: the run's own maxSeqLength)"),
  })
  .strict();
export type TaskEmbeddingConfig = z.infer<typeof taskEmbeddingConfigSchema>;
export type TaskEmbeddingConfigInput = z.input<typeof taskEmbeddingConfigSchema>;

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
 * Runs a task's own adapted model (its prompt or prefix, tuned encoder, template and pair encoding,
 * exactly as it was trained) on a seeded sample of the task's examples and returns the task
 * embedding (their mean representation) and the neuron activation rates. A two-tower pair gives
 * two representations, one per text through the prompt, and both enter the mean: the embedding
 * stays [hidden] wide, comparable with single-text tasks. Every tensor is freed before it returns.
 */
export function describeTask(model: AdaptedModel, examples: readonly Example[], config: TaskEmbeddingConfigInput = {}): TaskDescription {
  const cfg = taskEmbeddingConfigSchema.parse(config);
  if (examples.length === 0) throw new PandaError('CONFIG_INVALID', 'a task embedding needs at least one example');
  const picked = sample(examples, cfg.samples, `${cfg.seed}/task-embedding`);
  const reader = cfg.maxSeqLength ? new AdaptedModel(model.backbone, model.method, model.head, { ...model.encoding, maxSeqLength: cfg.maxSeqLength }) : model;
  const set = reader.encode(picked);
  const towers = [set, secondTower(set)].filter((t): t is EncodedSet => t !== undefined);
  const injection = model.method.inference();
  try {
    if (!injection.encoder.probe) throw new PandaError('CONFIG_INVALID', `backbone ${model.backbone.id} cannot expose its layers: task embeddings need probe()`);
    let sum: Float64Array | undefined;
    let rate: Float64Array | undefined;
    for (const tower of towers) {
      for (const batch of orderedBatches(tower.ids.map((r) => r.length), cfg.batchSize, false)) {
        const [rep, act] = representBatch(model, injection, tower, batch, cfg);
        sum ??= new Float64Array(rep.length);
        rate ??= new Float64Array(act.length);
        for (let i = 0; i < rep.length; i++) sum[i]! += rep[i]!;
        for (let i = 0; i < act.length; i++) rate[i]! += act[i]!;
      }
    }
    const n = picked.length * towers.length;
    return { embedding: Float32Array.from(sum!, (x) => x / n), activationRate: Float32Array.from(rate!, (x) => x / n), sampleIds: picked.map((e) => e.id) };
  } finally {
    injection.dispose();
  }
}

/** Sums over one batch of its examples' representations [H] and first-token activations [L·F]. */
function representBatch(model: AdaptedModel, injection: Injection, tower: EncodedSet, batch: number[], cfg: TaskEmbeddingConfig): [Float32Array, Float32Array] {
  const [rep, act] = tf.tidy(() => {
    const padded = padBatch(tower, batch, model.backbone.tokenizer.padId); // [b, T]
    const input = model.encoderInput(padded, injection);
    const probe = injection.encoder.probe!(input); // hidden: L × [b, m+T, H]; ffn: L × [b, m+T, F]
    const layers = probe.hidden.length;
    const li = cfg.layer < 0 ? layers + cfg.layer : cfg.layer;
    if (li < 0 || li >= layers) throw new PandaError('CONFIG_INVALID', `layer ${cfg.layer} is outside the model's ${layers} layers`);
    const b = batch.length;
    const first = (t: tf.Tensor3D) => tf.squeeze(tf.slice(t, [0, probe.offset, 0], [b, 1, t.shape[2]]), [1]) as tf.Tensor2D; // [b, width]
    let r: tf.Tensor2D; // [b, H]
    if (cfg.token === 'sentence') r = model.embed(padded, injection);
    else if (cfg.token === 'first') r = first(probe.hidden[li]!);
    else {
      const h = tf.slice(probe.hidden[li]!, [0, probe.offset, 0], [b, padded.ids.shape[1], probe.hidden[li]!.shape[2]]); // [b, T, H]
      r = tf.div(tf.sum(tf.mul(h, tf.expandDims(padded.mask, 2)), 1), tf.maximum(tf.sum(padded.mask, 1, true), 1)) as tf.Tensor2D; // [b, H]
    }
    const active = tf.concat(probe.ffn.map((f) => tf.cast(tf.greater(first(f), 0), 'float32')), 1); // [b, L·F]
    return [tf.sum(r, 0), tf.sum(active, 0)]; // [H], [L·F]
  });
  const out: [Float32Array, Float32Array] = [Float32Array.from(rep.dataSync() as Float32Array), Float32Array.from(act.dataSync() as Float32Array)];
  tf.dispose([rep, act]);
  return out;
}

/**
 * The task embedding of a saved run: its adapted model rebuilt from the folder, then
 * {@link describeTask} on the given examples.
 */
export async function describeRun(dir: string, backbone: Backbone, examples: readonly Example[], config: TaskEmbeddingConfigInput = {}): Promise<TaskDescription> {
  const { model } = await loadAdaptedModel(dir, backbone);
  try {
    return describeTask(model, examples, config);
  } finally {
    model.dispose();
  }
}
