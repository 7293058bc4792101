import * as tf from '@tensorflow/tfjs-core';
import { PandaError, Rng, silent, type ProgressListener } from '@panda/core';
import { LinearHead, SoftPrompt, type Backbone } from '@panda/backbones';
import { sample, type Example } from '@panda/datasets';
import { tuneConfigSchema, type TuneConfig, type TuneConfigInput } from '../config.js';
import { AdamW, clipByGlobalNorm, linearSchedule } from '../optim/adamW.js';
import { encodeExamples, epochBatches, padBatch, type EncodedSet } from '../data/batches.js';
import { embedSet, evaluateSet, scoreFeatures } from '../eval/evaluate.js';
import { crossEntropy } from './loss.js';

export interface TuneData {
  train: readonly Example[];
  dev: readonly Example[];
  /** Optional held-out set scored once with the best-dev weights. */
  test?: readonly Example[];
  /** Class names, in label-index order. */
  labels: readonly string[];
}

export interface TuneOptions {
  backbone: Backbone;
  data: TuneData;
  config?: TuneConfigInput;
  onProgress?: ProgressListener;
  /** Stops training between steps; the best weights so far are kept. */
  signal?: AbortSignal;
}

export interface EvalPoint {
  step: number;
  epoch: number;
  devAccuracy: number;
  trainLoss: number;
}

export interface TuneResult {
  config: TuneConfig;
  backboneId: string;
  /** Best dev accuracy and, if a test set was given, test accuracy of those weights. */
  metrics: { devAccuracy: number; testAccuracy?: number; bestStep: number };
  history: EvalPoint[];
  steps: number;
  trainSeconds: number;
  stepsPerSecond: number;
  /** Examples used, by split (after sampling caps). */
  sizes: { train: number; dev: number; test?: number };
  /** Ids of the sampled training examples, for the run manifest. */
  trainIds: string[];
  truncated: { train: number; dev: number; test?: number };
  /** Trained weights by name (`prompt`, `head/kernel`, `head/bias`); the caller owns them. */
  weights: Record<string, tf.Tensor>;
}

/**
 * Prompt tuning (soft prompt + linear head on a frozen encoder) or a linear probe (head only).
 * Dev accuracy is measured at each epoch end (or every `evalEverySteps`); the best weights are kept.
 * The linear probe embeds every example once and trains the head on those cached features, since
 * the frozen encoder's output for an example never changes.
 */
export async function tune(options: TuneOptions): Promise<TuneResult> {
  const config = tuneConfigSchema.parse(options.config ?? {});
  const { backbone, data } = options;
  const onProgress = options.onProgress ?? silent;
  const { encoder, tokenizer } = backbone;
  const rng = new Rng(config.seed);
  const usePrompt = config.method === 'prompt-tuning';
  const promptLength = usePrompt ? config.promptLength : 0;
  if (promptLength >= encoder.maxPositions) {
    throw new PandaError('PROMPT_TOO_LONG', `a prompt of ${promptLength} rows leaves no room for text in the model's ${encoder.maxPositions} positions`);
  }
  if (data.train.length === 0) throw new PandaError('CONFIG_INVALID', 'the training set is empty');
  if (data.dev.length === 0) throw new PandaError('CONFIG_INVALID', 'the dev set is empty');
  for (const [split, xs] of [['train', data.train], ['dev', data.dev], ['test', data.test ?? []]] as const) {
    const bad = xs.find((e) => !Number.isInteger(e.label) || e.label < 0 || e.label >= data.labels.length);
    if (bad) throw new PandaError('LABEL_UNKNOWN', `${split} example ${bad.id} has label ${bad.label}, outside the ${data.labels.length} classes (${data.labels.join(', ')})`);
  }

  const maxTokens = encoder.maxPositions - promptLength;
  const trainExamples = config.maxTrainExamples ? sample(data.train, config.maxTrainExamples, `${config.seed}/train`) : [...data.train];
  const devExamples = config.maxEvalExamples ? sample(data.dev, config.maxEvalExamples, `${config.seed}/dev`) : [...data.dev];
  const train = encodeExamples(tokenizer, trainExamples, maxTokens);
  const dev = encodeExamples(tokenizer, devExamples, maxTokens);
  const test = data.test ? encodeExamples(tokenizer, data.test, maxTokens) : undefined;

  const head = new LinearHead(encoder.hidden, data.labels.length, rng.fork('head'));
  let prompt: SoftPrompt | undefined;
  if (usePrompt) {
    const table = backbone.tokenInputTable();
    try {
      prompt = new SoftPrompt({ length: promptLength, width: encoder.embedDim, init: config.promptInit, rng: rng.fork('prompt'), tokenTable: table, sampleIds: backbone.sampleIds });
    } finally {
      table.dispose();
    }
  }
  const optimizer = new AdamW([
    { params: [head.kernel], lr: config.headLr, weightDecay: config.weightDecay },
    { params: [head.bias], lr: config.headLr, weightDecay: 0 },
    ...(prompt ? [{ params: [prompt.rows], lr: config.lr, weightDecay: 0 }] : []),
  ]);
  const trainable = optimizer.groups.flatMap((g) => g.params);

  // Linear probe: the frozen features, computed once. [N, hidden]
  const cached = usePrompt ? undefined : { train: embedSet(encoder, train, tokenizer.padId, config.evalBatchSize), dev: embedSet(encoder, dev, tokenizer.padId, config.evalBatchSize) };

  const batchesPerEpoch = Math.ceil(train.ids.length / config.batchSize);
  const totalSteps = batchesPerEpoch * config.epochs;
  const history: EvalPoint[] = [];
  let best: { acc: number; step: number; weights: Record<string, tf.Tensor> } | undefined;
  let step = 0;
  let lossSum = 0;
  let lossCount = 0;
  let trainMs = 0;

  const evaluateDev = (epoch: number): void => {
    const devAccuracy = cached ? scoreFeatures(head, cached.dev, dev.labels).accuracy : evaluateSet(encoder, head, dev, tokenizer.padId, config.evalBatchSize, prompt?.rows).accuracy;
    const point = { step, epoch, devAccuracy, trainLoss: lossCount ? lossSum / lossCount : Number.NaN };
    history.push(point);
    lossSum = 0;
    lossCount = 0;
    onProgress({ type: 'eval', phase: 'train', epoch, metrics: { devAccuracy, trainLoss: point.trainLoss, step } });
    if (!best || devAccuracy > best.acc) {
      if (best) tf.dispose(best.weights);
      best = { acc: devAccuracy, step, weights: snapshot(head, prompt) };
    }
  };

  onProgress({ type: 'start', phase: 'train', total: totalSteps, message: `${config.method}: ${train.ids.length} train / ${dev.ids.length} dev examples, ${totalSteps} steps` });
  try {
    outer: for (let epoch = 1; epoch <= config.epochs; epoch++) {
      const batches = epochBatches(train.ids.map((r) => r.length), config.batchSize, rng.fork(`epoch-${epoch}`), config.bucket);
      for (const rows of batches) {
        if (options.signal?.aborted) break outer;
        const t0 = performance.now();
        const lrScale = linearSchedule(step, totalSteps, config.warmupSteps);
        const loss = trainStep(rows);
        optimizerStep(loss.grads, lrScale);
        const lossValue = loss.value.dataSync()[0]!;
        loss.value.dispose();
        trainMs += performance.now() - t0;
        step++;
        lossSum += lossValue;
        lossCount++;
        onProgress({ type: 'step', phase: 'train', step, total: totalSteps, loss: lossValue, stepsPerSecond: step / (trainMs / 1000) });
        if (config.evalEverySteps && step % config.evalEverySteps === 0) evaluateDev(epoch);
      }
      if (!config.evalEverySteps) evaluateDev(epoch);
    }
    if (!best) evaluateDev(0);
    const chosen = best!;
    restore(head, prompt, chosen.weights);
    let testAccuracy: number | undefined;
    if (test) testAccuracy = evaluateSet(encoder, head, test, tokenizer.padId, config.evalBatchSize, prompt?.rows).accuracy;
    const result: TuneResult = {
      config,
      backboneId: backbone.id,
      metrics: { devAccuracy: chosen.acc, bestStep: chosen.step, ...(testAccuracy !== undefined ? { testAccuracy } : {}) },
      history,
      steps: step,
      trainSeconds: trainMs / 1000,
      stepsPerSecond: step / Math.max(1e-9, trainMs / 1000),
      sizes: { train: train.ids.length, dev: dev.ids.length, ...(test ? { test: test.ids.length } : {}) },
      trainIds: train.exampleIds,
      truncated: { train: train.truncated, dev: dev.truncated, ...(test ? { test: test.truncated } : {}) },
      weights: chosen.weights,
    };
    onProgress({ type: 'done', phase: 'train', metrics: { devAccuracy: chosen.acc, ...(testAccuracy !== undefined ? { testAccuracy } : {}) } });
    return result;
  } catch (err) {
    if (best) tf.dispose(best.weights);
    throw err;
  } finally {
    optimizer.dispose();
    head.dispose();
    prompt?.dispose();
    if (cached) tf.dispose([cached.train, cached.dev]);
  }

  function trainStep(rows: number[]): { value: tf.Scalar; grads: Record<string, tf.Tensor> } {
    return tf.tidy(() => {
      const labels = tf.tensor1d(rows.map((r) => train.labels[r]!), 'int32'); // [B]
      let features: () => tf.Tensor2D;
      if (cached) {
        const idx = tf.tensor1d(rows, 'int32');
        features = () => tf.gather(cached.train, idx) as tf.Tensor2D; // [B, hidden]
      } else {
        const { ids, mask } = padBatch(train, rows, tokenizer.padId); // [B, T]
        features = () => encoder.forward({ ids, mask, prompt: prompt!.rows }).embedding; // [B, hidden]
      }
      const { value, grads } = tf.variableGrads(() => crossEntropy(head.apply(features()), labels), trainable);
      const clipped = clipByGlobalNorm(grads, config.maxGradNorm).grads;
      return { value, grads: clipped };
    });
  }

  function optimizerStep(grads: Record<string, tf.Tensor>, lrScale: number): void {
    optimizer.apply(grads, lrScale);
    tf.dispose(grads);
  }
}

function snapshot(head: LinearHead, prompt: SoftPrompt | undefined): Record<string, tf.Tensor> {
  return {
    'head/kernel': tf.clone(head.kernel),
    'head/bias': tf.clone(head.bias),
    ...(prompt ? { prompt: tf.clone(prompt.rows) } : {}),
  };
}

function restore(head: LinearHead, prompt: SoftPrompt | undefined, weights: Record<string, tf.Tensor>): void {
  head.kernel.assign(weights['head/kernel'] as tf.Tensor2D);
  head.bias.assign(weights['head/bias'] as tf.Tensor1D);
  if (prompt) prompt.rows.assign(weights['prompt'] as tf.Tensor2D);
}

export type { EncodedSet };
