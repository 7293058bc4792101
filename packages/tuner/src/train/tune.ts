import * as tf from '@tensorflow/tfjs-core';
import { PandaError, Rng, silent, type ProgressListener } from '@panda/core';
import {
  DeepPrefix,
  LinearHead,
  SoftPrompt,
  measureKeyValueStd,
  type Backbone,
  type PrefixLayout,
  type PrefixSlot,
  type SentenceEncoder,
  type TrainableSentenceEncoder,
} from '@panda/backbones';
import { sample, type Example } from '@panda/datasets';
import { tuneConfigSchema, type TuneConfig, type TuneConfigInput } from '../config.js';
import { AdamW, clipByGlobalNorm, type NamedParam, type ParamGroup } from '../optim/adamW.js';
import { scheduleValue } from '../optim/schedules.js';
import { encodeExamples, epochBatches, orderedBatches, padBatch, secondTower, type EncodedSet } from '../data/batches.js';
import { evaluateSet, pairFeatures, scoreFeatures, scoreMetricOf, setFeatures, type Objective, type ScoreMetric } from '../eval/evaluate.js';
import { fingerprint, loadCheckpoint, saveCheckpoint } from '../checkpoint/checkpoint.js';
import { crossEntropy, meanSquaredError } from './loss.js';
import { accumulateGradients } from './accumulate.js';
import { distillConfigSchema, type DistillConfig, type DistillConfigInput } from '../distill/config.js';
import { Teacher, type TeacherBatch, type TeacherSpec } from '../distill/teacher.js';
import { kdLoss } from '../distill/kdLoss.js';
import { betaAt } from '../distill/betaSchedule.js';
import { tensorDigest } from '../distill/digest.js';
import { Template, initialSoftRows, softLayout } from '@panda/templates';

export interface TuneData {
  train: readonly Example[];
  dev: readonly Example[];
  /** Optional held-out set scored once with the best-dev weights. */
  test?: readonly Example[];
  /** Class names, in label-index order (classification; ignored for regression). */
  labels: readonly string[];
  /**
   * `classification` (default): `label` is a class index, cross-entropy, dev accuracy.
   * `regression` (STS-B): `label` is the target value, a one-output head, mean squared error, and
   * dev/test scored by the mean of Pearson and Spearman (GLUE's STS-B score).
   */
  objective?: Objective;
}

export interface CheckpointOptions {
  /** Folder for `checkpoint.json` and `ckpt-<step>.safetensors`. */
  dir: string;
  /** Save every N optimiser steps (and at the end of every epoch). */
  everySteps: number;
  /** Continue from the checkpoint in `dir` if there is one (default true). */
  resume?: boolean;
}

export interface TuneOptions {
  backbone: Backbone;
  data: TuneData;
  config?: TuneConfigInput;
  onProgress?: ProgressListener;
  /** Stops training between steps; the best weights so far are kept. */
  signal?: AbortSignal;
  checkpoint?: CheckpointOptions;
  /**
   * Initial values of trainable parameters by key, in place of the random initialisation: prompt
   * transfer (PoT) passes a source run's `prompt` or `prefix` (or its raw `prefix/*` parameters);
   * the head stays fresh unless `head/kernel`/`head/bias` are given. Shapes must match. The tuner
   * copies the values; the caller keeps ownership.
   */
  init?: Record<string, tf.Tensor>;
  /**
   * Knowledge distillation (PANDA): L = L_task + λ·mean_j(β_j·L_KD(z_S, z_T,j)) over the teachers
   * (one teacher: exactly PANDA's loss). See {@link distillConfigSchema} for the knobs.
   */
  distill?: { teachers: TeacherSpec[]; config?: DistillConfigInput };
}

export interface EvalPoint {
  step: number;
  epoch: number;
  /** Dev score of the run's metric (accuracy, or mean(Pearson, Spearman) for regression). */
  devScore: number;
  trainLoss: number | null;
}

export interface TuneResult {
  config: TuneConfig;
  backboneId: string;
  /** SHA-256 of the backbone's weight files, when the backbone provides it. */
  backboneHash?: string;
  /**
   * Best dev score and, if a test set was given, the test score of those weights, in `metric`
   * (accuracy for classification, mean(Pearson, Spearman) for regression). `devAccuracy` and
   * `testAccuracy` repeat them for classification runs only.
   */
  metrics: { metric: ScoreMetric; devScore: number; testScore?: number; devAccuracy?: number; testAccuracy?: number; bestStep: number };
  /** What the head was trained for. */
  objective: Objective;
  /** The template every input was rendered through, and how many prompt rows its soft tokens take (0: rows went in front). */
  template?: { source: string; softRows: number };
  history: EvalPoint[];
  steps: number;
  /** Step the run resumed from (0 for a fresh run). */
  resumedFrom: number;
  /** True when early stopping or the abort signal ended training before the last epoch. */
  stoppedEarly: boolean;
  trainSeconds: number;
  stepsPerSecond: number;
  /** Examples used, by split (after sampling caps). */
  sizes: { train: number; dev: number; test?: number };
  /** Ids of the sampled training examples, for the run manifest. */
  trainIds: string[];
  truncated: { train: number; dev: number; test?: number };
  /** Trainable parameters of the method, head included (raw prefix parameters with reparameterisation). */
  trainableParams: number;
  /** Deep prompts: how the prefix table is laid out and was trained (what loading it needs). */
  prefix?: PrefixInfo;
  /** Keys of the parameters that started from `init` (prompt transfer) and a digest of their values. */
  init?: { keys: string[]; digest: string };
  /** Distillation: the knobs, and each teacher's name, β and digest. */
  distill?: { config: DistillConfig; teachers: Array<{ name: string; beta: number; digest: string }>; cachedTeacherLogits: boolean };
  /**
   * Trained weights by name, the caller owns them: `head/kernel`, `head/bias`, and by method
   * `prompt` [m, embedDim]; `prefix` [m, 2·Σ d_l] (deep prompts; with reparameterisation also the
   * raw `prefix/embedding`, `prefix/w1`, `prefix/b1`, `prefix/w2`, `prefix/b2` it was folded from);
   * `encoder/<name>` for every encoder weight (model tuning).
   */
  weights: Record<string, tf.Tensor>;
}

/** The deep prefix of a run, as `adapter_config.json` records it. */
export interface PrefixInfo {
  /** Rows m. */
  length: number;
  layout: PrefixLayout;
  /** Columns of the table: 2·Σ d_l. */
  width: number;
  /** P-tuning v2 slot order: layer 0 key, layer 0 value, layer 1 key, … */
  slots: PrefixSlot[];
  init: 'matched' | 'normal';
  /** σ per layer the `matched` init used. */
  keyValueStd?: Array<{ key: number; value: number }>;
  dropout: number;
  projection: boolean;
  /** With reparameterisation: the MLP's embedding and hidden widths. */
  embedDim?: number;
  hidden?: number;
}

/**
 * Trains a linear head on the encoder with one of four methods: prompt tuning (soft prompt, frozen
 * encoder), deep prompt tuning (a key/value prefix at every attention layer, frozen encoder; based on
 * P-tuning v2, Liu et al. 2022), model tuning (every encoder weight, on a trainable copy; the
 * backbone's own encoder is never changed) or a linear probe (head only).
 *
 * Parameters have stable keys (`prompt`; `prefix` or `prefix/embedding`, `prefix/w1`, …;
 * `encoder/<name>`; `head/kernel`, `head/bias`), which checkpoints, the optimiser state and
 * gradient accumulation use. Deep-prompt dropout draws one mask per example from a seed derived
 * from the run's seed, the step and the example's index, so accumulated micro-batches see the
 * masks of the full batch and a resumed run the masks of the run that never stopped.
 *
 * One seed drives initialisation, sampling and the batch order of every epoch (each epoch's order
 * comes from its own stream, so a resumed run sees the same batches). Dev accuracy is measured at
 * each epoch end (or every `evalEverySteps`), the best weights are kept and restored at the end;
 * early stopping ends the run after `earlyStoppingPatience` evaluations without improvement.
 * With `checkpoint`, the trainable tensors, optimiser moments, best weights and counters are saved
 * atomically every N steps; resuming gives exactly the run that never stopped.
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
  const useDeep = config.method === 'deep-prompt-tuning';
  const useModel = config.method === 'model-tuning';
  const useProbe = config.method === 'linear-probe';
  const objective: Objective = data.objective ?? 'classification';
  const regression = objective === 'regression';
  const metric = scoreMetricOf(objective);
  // A template renders every example; its soft tokens (if any) are the prompt table of prompt tuning.
  const template = config.template !== undefined ? Template.parse(config.template) : undefined;
  const layout = template ? softLayout(template, tokenizer) : undefined;
  const templateSoft = layout !== undefined && layout.rows > 0;
  if (templateSoft && !usePrompt) {
    throw new PandaError('CONFIG_INVALID', `the template has ${layout.rows} soft token row(s); soft tokens inside a template train with prompt-tuning, not ${config.method} (write the template without {soft} for this method)`);
  }
  if (templateSoft && !encoder.softTokens) {
    throw new PandaError('CONFIG_INVALID', `backbone ${backbone.id} cannot take soft tokens inside the text; use a template without {soft} (the prompt rows then go in front)`);
  }
  if (templateSoft && options.distill) {
    throw new PandaError('CONFIG_INVALID', 'distillation with soft tokens inside a template is not supported: teachers run with prompt rows in front');
  }
  if (useDeep && !encoder.prefixLayout) {
    throw new PandaError('CONFIG_INVALID', `backbone ${backbone.id} has no per-layer key/value injection point: deep-prompt-tuning is not available on it`);
  }
  if (useModel && !encoder.trainableCopy) {
    throw new PandaError('CONFIG_INVALID', `backbone ${backbone.id} cannot make a trainable copy of its weights: model-tuning is not available on it`);
  }
  // Positions the trained rows take from the text: a soft prompt's, a prefix's only where the model
  // gives prefix rows position ids (Hugging Face's offset); USE-Lite's prefix takes none.
  // With template soft tokens, the template places every prompt row itself (nothing goes in front).
  const promptLength = templateSoft ? 0 : usePrompt || (useDeep && encoder.prefixLayout?.takesPositions) ? config.promptLength : 0;
  if (promptLength >= encoder.maxPositions) {
    throw new PandaError('PROMPT_TOO_LONG', `a prompt of ${promptLength} rows leaves no room for text in the model's ${encoder.maxPositions} positions`);
  }
  if (data.train.length === 0) throw new PandaError('CONFIG_INVALID', 'the training set is empty');
  if (data.dev.length === 0) throw new PandaError('CONFIG_INVALID', 'the dev set is empty');
  for (const [split, xs] of [['train', data.train], ['dev', data.dev], ['test', data.test ?? []]] as const) {
    if (regression) {
      const bad = xs.find((e) => !Number.isFinite(e.label));
      if (bad) throw new PandaError('LABEL_UNKNOWN', `${split} example ${bad.id} has target ${bad.label}; a regression target must be a finite number`);
      continue;
    }
    const bad = xs.find((e) => !Number.isInteger(e.label) || e.label < 0 || e.label >= data.labels.length);
    if (bad) throw new PandaError('LABEL_UNKNOWN', `${split} example ${bad.id} has label ${bad.label}, outside the ${data.labels.length} classes (${data.labels.join(', ')})`);
  }
  if (config.gradAccumulation > config.batchSize) {
    throw new PandaError('CONFIG_INVALID', `gradAccumulation ${config.gradAccumulation} is larger than batchSize ${config.batchSize}`);
  }

  const maxTokens = Math.min(encoder.maxPositions - promptLength, config.maxSeqLength ?? Number.POSITIVE_INFINITY);
  const trainExamples = config.maxTrainExamples ? sample(data.train, config.maxTrainExamples, `${config.seed}/train`) : [...data.train];
  const devExamples = config.maxEvalExamples ? sample(data.dev, config.maxEvalExamples, `${config.seed}/dev`) : [...data.dev];
  const rendering = template ? { template, layout: layout! } : undefined;
  const train = encodeExamples(tokenizer, trainExamples, maxTokens, rendering, config.pairEncoding);
  const dev = encodeExamples(tokenizer, devExamples, maxTokens, rendering, config.pairEncoding);
  const test = data.test ? encodeExamples(tokenizer, data.test, maxTokens, rendering, config.pairEncoding) : undefined;
  const trainB = secondTower(train);
  // What the head reads: the sentence embedding, or two-tower pair features [u, v, |u − v|, u·v].
  const featureWidth = trainB ? 4 * encoder.hidden : encoder.hidden;
  const runFingerprintBase = {
    config: fingerprintConfig(config),
    backbone: backbone.id,
    labels: data.labels,
    ...(regression ? { objective } : {}),
    train: train.exampleIds,
    dev: dev.exampleIds,
  };

  const outputs = regression ? 1 : data.labels.length;
  if (!regression && outputs < 1) throw new PandaError('CONFIG_INVALID', 'a classification run needs at least one label');
  const head = new LinearHead(featureWidth, outputs, rng.fork('head'));
  // Regression: the bias starts at the mean training target, so the first steps fit the shape of the
  // scores rather than their offset (STS-B targets lie in 0–5).
  if (regression) tf.tidy(() => head.bias.assign(tf.tensor1d([trainExamples.reduce((a, e) => a + e.label, 0) / trainExamples.length])));
  let prompt: SoftPrompt | undefined;
  let prefix: DeepPrefix | undefined;
  let prefixInfo: PrefixInfo | undefined;
  /** Model tuning: the trainable copy of the encoder (the backbone's own stays frozen). */
  let tunable: TrainableSentenceEncoder | undefined;
  try {
    if (usePrompt) {
      const table = backbone.tokenInputTable();
      try {
        prompt = new SoftPrompt({ length: templateSoft ? layout.rows : promptLength, width: encoder.embedDim, init: config.promptInit, rng: rng.fork('prompt'), tokenTable: table, sampleIds: backbone.sampleIds });
      } finally {
        table.dispose();
      }
      // Template soft tokens start from their init words (others from random vocabulary rows).
      if (templateSoft) {
        const rows = await initialSoftRows(layout, backbone, { seed: `${config.seed}/template-soft` });
        tf.tidy(() => prompt!.rows.assign(tf.tensor2d(rows.map((r) => Array.from(r)))));
      }
    }
    if (useDeep) {
      const layout = encoder.prefixLayout!;
      const keyValueStd = config.prefixInit === 'matched' ? measureKeyValueStd(encoder, backbone.sampleIds) : undefined;
      prefix = new DeepPrefix({
        length: config.promptLength,
        layout,
        rng: rng.fork('prefix'),
        init: config.prefixInit,
        ...(keyValueStd ? { keyValueStd } : {}),
        projection: config.prefixProjection,
        hidden: config.prefixHidden,
        embedDim: encoder.hidden,
        dropout: config.prefixDropout,
      });
      prefixInfo = {
        length: prefix.length,
        layout: { widths: [...layout.widths], numHeads: layout.numHeads, takesPositions: layout.takesPositions ?? false },
        width: prefix.width,
        slots: [...prefix.slots],
        init: prefix.init,
        ...(keyValueStd ? { keyValueStd } : {}),
        dropout: prefix.dropout,
        projection: prefix.projection,
        ...(prefix.projection ? { embedDim: prefix.embedDim, hidden: prefix.hidden } : {}),
      };
    }
    if (useModel) tunable = encoder.trainableCopy!();
  } catch (err) {
    head.dispose();
    prompt?.dispose();
    prefix?.dispose();
    throw err;
  }
  const kernel: NamedParam = { key: 'head/kernel', variable: head.kernel };
  const bias: NamedParam = { key: 'head/bias', variable: head.bias };
  const optimizer = new AdamW([
    { params: [kernel], lr: config.headLr, weightDecay: config.weightDecay },
    { params: [bias], lr: config.headLr, weightDecay: 0 },
    ...(prompt ? [{ params: [{ key: 'prompt', variable: prompt.rows }], lr: config.lr, weightDecay: 0 }] : []),
    ...(prefix ? [{ params: prefix.params.map((p) => ({ key: p.key, variable: p.variable })), lr: config.lr, weightDecay: 0 }] : []),
    ...(tunable ? encoderGroups(tunable, config) : []),
  ]);
  const params = optimizer.params();
  const byName = new Map(params.map((p) => [p.variable.name, p.key]));
  const trainableParams = params.reduce((a, p) => a + p.variable.size, 0);
  const dropoutRng = rng.fork('prefix-dropout');

  // Prompt transfer: start named parameters from given values.
  const initKeys = Object.keys(options.init ?? {}).sort();
  for (const key of initKeys) {
    const p = params.find((q) => q.key === key);
    const value = options.init![key]!;
    if (!p) {
      disposeAll();
      throw new PandaError('CONFIG_INVALID', `init has '${key}', which ${config.method} does not train (its parameters: ${params.map((q) => q.key).join(', ')})`);
    }
    if (value.shape.join() !== p.variable.shape.join()) {
      disposeAll();
      throw new PandaError('SHAPE_MISMATCH', `init '${key}' is [${value.shape}], the run's parameter is [${p.variable.shape}] (prompt transfer needs the same prompt length and model)`);
    }
    p.variable.assign(value);
  }
  const initInfo = initKeys.length ? { keys: initKeys, digest: tensorDigest(options.init!) } : undefined;

  // Distillation: frozen teachers on the same encoder.
  const distillConfig = options.distill ? distillConfigSchema.parse(options.distill.config ?? {}) : undefined;
  const teachers: Teacher[] = [];
  try {
    for (const spec of options.distill?.teachers ?? []) teachers.push(new Teacher(spec, encoder, outputs, { dropoutOn: distillConfig!.teacherDropout, inputs: featureWidth }));
  } catch (err) {
    for (const t of teachers) t.dispose();
    disposeAll();
    throw err;
  }
  if (options.distill && teachers.length === 0) {
    disposeAll();
    throw new PandaError('CONFIG_INVALID', 'distillation needs at least one teacher');
  }
  const distillInfo = distillConfig
    ? {
        config: distillConfig,
        teachers: teachers.map((t, i) => ({ name: t.name, beta: t.beta, digest: tensorDigest(options.distill!.teachers[i]!.weights) })),
        cachedTeacherLogits: distillConfig.cacheTeacherLogits && teachers.every((t) => t.deterministic),
      }
    : undefined;
  /** Deterministic teachers' logits for every training example, computed once: one [N, C] per teacher. */
  const teacherCache: tf.Tensor2D[] = distillInfo?.cachedTeacherLogits
    ? teachers.map((t) => {
        const parts: tf.Tensor2D[] = [];
        for (const rows of orderedBatches(train.ids.map((r) => r.length), config.evalBatchSize, false)) {
          parts.push(tf.tidy(() => {
            return t.logits(encoder, trainBatch(rows), []); // [b, C]
          }));
        }
        const all = tf.concat(parts, 0) as tf.Tensor2D; // [N, C] in training-set order
        tf.dispose(parts);
        return all;
      })
    : [];
  /**
   * A padded training batch, for the student and the teachers alike: ids/mask [b, T], the template's
   * soft-token index [b, T] when it has soft tokens, the second texts [b, T'] for two-tower pairs.
   * Call inside tf.tidy.
   */
  function trainBatch(rows: number[]): TeacherBatch & { soft?: tf.Tensor2D } {
    const a = padBatch(train, rows, tokenizer.padId);
    if (!trainB) return a;
    const b = padBatch(trainB, rows, tokenizer.padId);
    return { ...a, idsB: b.ids, maskB: b.mask };
  }

  /** Frees what was built before training started (on an early error). */
  function disposeAll(): void {
    optimizer.dispose();
    head.dispose();
    prompt?.dispose();
    prefix?.dispose();
    tunable?.dispose();
  }

  // Linear probe: the frozen features, computed once. [N, hidden]
  const cached = useProbe ? { train: setFeatures(encoder, train, tokenizer.padId, config.evalBatchSize), dev: setFeatures(encoder, dev, tokenizer.padId, config.evalBatchSize) } : undefined;

  /**
   * Runs `fn` with the encoder that evaluation should use: the trainable copy (model tuning), the
   * frozen encoder with the folded prefix (deep prompts, no dropout), or the frozen encoder.
   */
  const withEvalEncoder = <T>(fn: (e: SentenceEncoder) => T): T => {
    if (tunable) return fn(tunable);
    if (!prefix) return fn(encoder);
    const table = prefix.fold(); // [m, 2·Σ d_l]
    try {
      return fn({
        hidden: encoder.hidden,
        embedDim: encoder.embedDim,
        maxPositions: encoder.maxPositions,
        forward: (input) => encoder.forward({ ...input, prefix: table }),
        dispose: () => {},
      });
    } finally {
      table.dispose();
    }
  };

  const batchesPerEpoch = Math.ceil(train.ids.length / config.batchSize);
  const totalSteps = batchesPerEpoch * config.epochs;
  let history: EvalPoint[] = [];
  let best: { acc: number; step: number; weights: Record<string, tf.Tensor> } | undefined;
  let step = 0;
  let lossSum = 0;
  let lossCount = 0;
  let trainMs = 0;
  let evalsWithoutImprovement = 0;
  let start = { epoch: 1, batch: 0 };
  let stoppedEarly = false;

  const runFingerprint = fingerprint({
    ...runFingerprintBase,
    ...(initInfo ? { init: initInfo } : {}),
    ...(distillInfo ? { distill: { config: distillInfo.config, teachers: distillInfo.teachers } } : {}),
  });

  const current = (): Record<string, tf.Tensor> => Object.fromEntries(params.map((p) => [p.key, p.variable]));

  try {
    if (options.checkpoint && (options.checkpoint.resume ?? true)) {
      const saved = await loadCheckpoint(options.checkpoint.dir);
      if (saved) {
        try {
          if (saved.meta.fingerprint !== runFingerprint) {
            throw new PandaError('CHECKPOINT_INVALID', `the checkpoint in ${options.checkpoint.dir} belongs to a different run (config, model or data differ); use another folder or delete it`);
          }
          for (const p of params) assignChecked(p.variable, saved.tensors[p.key], p.key);
          const opt: Record<string, tf.Tensor> = {};
          for (const [k, t] of Object.entries(saved.tensors)) if (k.startsWith('opt/')) opt[k.slice(4)] = t;
          optimizer.load(opt, saved.meta.optimizerStep);
          if (saved.meta.best) {
            const weights: Record<string, tf.Tensor> = {};
            for (const p of params) weights[p.key] = tf.clone(saved.tensors[`best/${p.key}`]!);
            best = { acc: saved.meta.best.acc, step: saved.meta.best.step, weights };
          }
          ({ step, lossSum, lossCount, trainMs, evalsWithoutImprovement } = saved.meta);
          history = saved.meta.history;
          start = { epoch: saved.meta.epoch, batch: saved.meta.batchInEpoch };
          onProgress({ type: 'log', message: `resuming from step ${step} (${options.checkpoint.dir})` });
        } finally {
          tf.dispose(saved.tensors);
        }
      }
    }
    const resumedFrom = step;

    const writeCheckpoint = async (epoch: number, batchInEpoch: number): Promise<void> => {
      if (!options.checkpoint) return;
      const tensors: Record<string, tf.Tensor> = { ...current() };
      for (const [k, t] of Object.entries(optimizer.state())) tensors[`opt/${k}`] = t;
      if (best) for (const [k, t] of Object.entries(best.weights)) tensors[`best/${k}`] = t;
      await saveCheckpoint(
        options.checkpoint.dir,
        { fingerprint: runFingerprint, step, epoch, batchInEpoch, optimizerStep: optimizer.step, lossSum, lossCount, trainMs, evalsWithoutImprovement, history, best: best ? { acc: best.acc, step: best.step } : null },
        tensors,
      );
      onProgress({ type: 'log', message: `checkpoint at step ${step}` });
    };

    /** Evaluates on dev; returns true when early stopping says to stop. */
    const evaluateDev = (epoch: number): boolean => {
      const devScore = cached
        ? scoreFeatures(head, cached.dev, dev.labels, objective).score
        : withEvalEncoder((e) => evaluateSet(e, head, dev, tokenizer.padId, config.evalBatchSize, prompt?.rows, objective).score);
      const point = { step, epoch, devScore, trainLoss: lossCount ? lossSum / lossCount : null };
      history.push(point);
      lossSum = 0;
      lossCount = 0;
      onProgress({ type: 'eval', phase: 'train', epoch, metrics: { devScore, ...(regression ? {} : { devAccuracy: devScore }), trainLoss: point.trainLoss ?? Number.NaN, step } });
      // An undefined correlation (constant predictions) never counts as an improvement.
      if (!best || devScore > best.acc || (Number.isNaN(best.acc) && !Number.isNaN(devScore))) {
        if (best) tf.dispose(best.weights);
        best = { acc: devScore, step, weights: Object.fromEntries(params.map((p) => [p.key, tf.clone(p.variable)])) };
        evalsWithoutImprovement = 0;
        return false;
      }
      evalsWithoutImprovement++;
      return config.earlyStoppingPatience > 0 && evalsWithoutImprovement >= config.earlyStoppingPatience;
    };

    onProgress({ type: 'start', phase: 'train', total: totalSteps, message: `${config.method}: ${train.ids.length} train / ${dev.ids.length} dev examples, ${totalSteps} steps` });
    const lengths = train.ids.map((r) => r.length);
    outer: for (let epoch = start.epoch; epoch <= config.epochs; epoch++) {
      const batches = epochBatches(lengths, config.batchSize, rng.fork(`epoch-${epoch}`), config.bucket);
      for (let b = epoch === start.epoch ? start.batch : 0; b < batches.length; b++) {
        if (options.signal?.aborted) {
          stoppedEarly = true;
          break outer;
        }
        const t0 = performance.now();
        const lossValue = trainStep(batches[b]!, scheduleValue(config.schedule, step, totalSteps, config.warmupSteps));
        trainMs += performance.now() - t0;
        step++;
        lossSum += lossValue;
        lossCount++;
        onProgress({ type: 'step', phase: 'train', step, total: totalSteps, loss: lossValue, stepsPerSecond: (step - resumedFrom) / (trainMs / 1000) });
        if (config.evalEverySteps && step % config.evalEverySteps === 0 && evaluateDev(epoch)) {
          stoppedEarly = true;
          await writeCheckpoint(epoch, b + 1);
          break outer;
        }
        if (options.checkpoint && step % options.checkpoint.everySteps === 0) await writeCheckpoint(epoch, b + 1);
      }
      if (!config.evalEverySteps && evaluateDev(epoch)) {
        stoppedEarly = epoch < config.epochs;
        await writeCheckpoint(epoch + 1, 0);
        break;
      }
      await writeCheckpoint(epoch + 1, 0);
    }
    if (!best) evaluateDev(0);
    const chosen = best!;
    for (const p of params) p.variable.assign(chosen.weights[p.key]!);
    let testScore: number | undefined;
    if (test) testScore = withEvalEncoder((e) => evaluateSet(e, head, test, tokenizer.padId, config.evalBatchSize, prompt?.rows, objective).score);
    // With reparameterisation the table a user loads is the folded one (the raw parameters are kept too).
    const weights = prefix?.projection ? { ...chosen.weights, prefix: prefix.fold() } : chosen.weights;
    const trainSeconds = trainMs / 1000;
    const result: TuneResult = {
      config,
      backboneId: backbone.id,
      ...(backbone.weightsHash ? { backboneHash: backbone.weightsHash } : {}),
      metrics: {
        metric,
        devScore: chosen.acc,
        ...(testScore !== undefined ? { testScore } : {}),
        ...(regression ? {} : { devAccuracy: chosen.acc, ...(testScore !== undefined ? { testAccuracy: testScore } : {}) }),
        bestStep: chosen.step,
      },
      objective,
      ...(template ? { template: { source: template.source, softRows: layout!.rows } } : {}),
      history,
      steps: step,
      resumedFrom,
      stoppedEarly,
      trainSeconds,
      stepsPerSecond: step / Math.max(1e-9, trainSeconds),
      sizes: { train: train.ids.length, dev: dev.ids.length, ...(test ? { test: test.ids.length } : {}) },
      trainIds: train.exampleIds,
      truncated: { train: train.truncated, dev: dev.truncated, ...(test ? { test: test.truncated } : {}) },
      trainableParams,
      ...(prefixInfo ? { prefix: prefixInfo } : {}),
      ...(initInfo ? { init: initInfo } : {}),
      ...(distillInfo ? { distill: distillInfo } : {}),
      weights,
    };
    onProgress({ type: 'done', phase: 'train', metrics: { devScore: chosen.acc, ...(testScore !== undefined ? { testScore } : {}), ...(regression ? {} : { devAccuracy: chosen.acc, ...(testScore !== undefined ? { testAccuracy: testScore } : {}) }) } });
    return result;
  } catch (err) {
    if (best) tf.dispose(best.weights);
    throw err;
  } finally {
    optimizer.dispose();
    head.dispose();
    prompt?.dispose();
    prefix?.dispose();
    tunable?.dispose();
    if (cached) tf.dispose([cached.train, cached.dev]);
    for (const t of teachers) t.dispose();
    tf.dispose(teacherCache);
  }

  /**
   * One optimiser step on the batch `rows`: gradients of the batch-mean loss, summed over
   * `gradAccumulation` micro-batches (each weighted by its share of the batch), clipped, applied.
   * @returns the batch's mean loss.
   */
  function trainStep(rows: number[], lrScale: number): number {
    const { value: loss, grads: sum } = accumulateGradients(rows, config.gradAccumulation, microGrads);
    const { grads: clipped, norm } = clipByGlobalNorm(sum, config.maxGradNorm);
    optimizer.apply(clipped, lrScale);
    const value = loss.dataSync()[0]!;
    tf.dispose([loss, norm, ...Object.values(sum), ...Object.values(clipped)]);
    return value;
  }

  /** Gradients (by parameter key) of weight · mean loss over `rows`. Call inside tf.tidy. */
  function microGrads(rows: number[], weight: number): { value: tf.Scalar; grads: Record<string, tf.Tensor> } {
    const labels = tf.tensor1d(rows.map((r) => train.labels[r]!), regression ? 'float32' : 'int32'); // [b]
    let padded: ReturnType<typeof trainBatch> | undefined;
    /** This micro-batch padded once, shared by the student's and the teachers' forward passes. */
    const batch = () => (padded ??= trainBatch(rows));
    let features: () => tf.Tensor2D;
    if (cached) {
      const idx = tf.tensor1d(rows, 'int32');
      features = () => tf.gather(cached.train, idx) as tf.Tensor2D; // [b, hidden] (or [b, 4·hidden])
    } else {
      /** The trained method's sentence embedding of one padded batch: [b, hidden]. */
      let embed: (batch: { ids: tf.Tensor2D; mask: tf.Tensor2D; soft?: tf.Tensor2D }) => tf.Tensor2D;
      if (prefix) {
        // One dropout seed per example, from (run seed, step, example index): the same masks for
        // any split into micro-batches and after a resume (both towers of a pair share the mask).
        const seeds = prefix.dropout > 0 ? rows.map((r) => dropoutRng.fork(`${step}/${r}`).int32()) : [];
        const p = prefix;
        embed = ({ ids, mask }) => encoder.forward({ ids, mask, prefix: p.trainingTable(seeds) }).embedding;
      } else if (tunable) {
        const t = tunable;
        embed = ({ ids, mask }) => t.forward({ ids, mask }).embedding;
      } else {
        // Template soft tokens take their rows at their positions; otherwise the rows go in front.
        embed = ({ ids, mask, soft }) => (soft ? encoder.forward({ ids, mask, soft: { rows: prompt!.rows, index: soft } }) : encoder.forward({ ids, mask, prompt: prompt!.rows })).embedding;
      }
      const { ids, mask, soft, idsB, maskB } = batch();
      const a = { ids, mask, ...(soft ? { soft } : {}) }; // [b, T]
      features = idsB && maskB ? () => pairFeatures(embed(a), embed({ ids: idsB, mask: maskB })) : () => embed(a); // [b, 4·hidden] or [b, hidden]
    }
    // Distillation targets: constants for this step, computed outside the gradient. [b, C] each
    let targets: tf.Tensor2D[] = [];
    if (teachers.length) {
      if (teacherCache.length) {
        const idx = tf.tensor1d(rows, 'int32');
        targets = teacherCache.map((c) => tf.gather(c, idx) as tf.Tensor2D);
      } else {
        targets = teachers.map((t) => t.logits(encoder, batch(), t.dropout > 0 ? rows.map((r) => dropoutRng.fork(`teacher/${t.name}/${step}/${r}`).int32()) : []));
      }
    }
    const fullBatch = Math.round(rows.length / weight);
    const epochProgress = step / Math.max(1, Math.ceil(train.ids.length / config.batchSize));
    const loss = (): tf.Scalar => {
      const logits = head.apply(features()); // [b, C]
      let total = regression ? meanSquaredError(logits, labels) : crossEntropy(logits, labels); // []
      if (distillConfig && teachers.length) {
        const terms = teachers.map((t, j) => tf.mul(kdLoss(logits, targets[j]!, distillConfig.kdNorm, fullBatch), betaAt(distillConfig.betaSchedule, t.beta, epochProgress, config.epochs)));
        total = tf.add(total, tf.mul(tf.div(tf.addN(terms), teachers.length), distillConfig.lambda)) as tf.Scalar;
      }
      return tf.mul(total, weight) as tf.Scalar;
    };
    const { value, grads } = tf.variableGrads(loss, params.map((p) => p.variable));
    const keyed: Record<string, tf.Tensor> = {};
    for (const [name, g] of Object.entries(grads)) keyed[byName.get(name)!] = g;
    return { value, grads: keyed };
  }
}

/**
 * The config as the checkpoint fingerprint sees it: options a method does not read are left out,
 * so options added for one method never invalidate another method's checkpoints.
 */
function fingerprintConfig(config: TuneConfig): Record<string, unknown> {
  const { prefixInit, prefixDropout, prefixProjection, prefixHidden, modelLr, pairEncoding, ...rest } = config;
  // Options added later enter the fingerprint only when set away from their defaults, so checkpoints
  // written before them still resume.
  if (pairEncoding !== 'joined') Object.assign(rest, { pairEncoding });
  if (config.method === 'deep-prompt-tuning') return { ...rest, prefixInit, prefixDropout, prefixProjection, prefixHidden };
  if (config.method === 'model-tuning') return { ...rest, modelLr };
  return rest;
}

/**
 * Model tuning's optimiser groups: every encoder weight under `encoder/<name>` at `modelLr`;
 * matrices (embeddings, dense kernels) with the configured decoupled weight decay, vectors (biases,
 * layer-norm scales and shifts) without, as in BERT's fine-tuning recipe.
 */
function encoderGroups(tunable: TrainableSentenceEncoder, config: TuneConfig): ParamGroup[] {
  const named = Object.entries(tunable.variables()).map(([name, variable]) => ({ key: `encoder/${name}`, variable }));
  return [
    { params: named.filter((p) => p.variable.rank >= 2), lr: config.modelLr, weightDecay: config.weightDecay },
    { params: named.filter((p) => p.variable.rank < 2), lr: config.modelLr, weightDecay: 0 },
  ];
}

function assignChecked(variable: tf.Variable, value: tf.Tensor | undefined, key: string): void {
  if (!value || value.shape.join() !== variable.shape.join()) {
    throw new PandaError('CHECKPOINT_INVALID', `checkpoint tensor '${key}' is ${value ? `[${value.shape}]` : 'missing'}, expected [${variable.shape}]`);
  }
  variable.assign(value);
}

export type { EncodedSet };
