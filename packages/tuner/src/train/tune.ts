import * as tf from '@tensorflow/tfjs-core';
import { PandaError, Rng, silent, type ProgressListener } from '@panda/core';
import { LinearHead, type Backbone, type PairEncoding, type TrainingEngine } from '@panda/backbones';
import type { Example } from '@panda/datasets';
import { parseTuneConfig, type TuneConfig, type TuneConfigInput } from '../config.js';
import { AdamW, type NamedParam } from '../optim/adamW.js';
import { scoreFeatures, evaluateSet, type Objective, type ScoreMetric } from '../eval/evaluate.js';
import { selectionMetric, type SelectionMetric } from '../eval/selection.js';
import { fingerprint } from '../checkpoint/checkpoint.js';
import { distillConfigSchema, type DistillConfig, type DistillConfigInput } from '../distill/config.js';
import type { Teacher, TeacherSpec } from '../distill/teacher.js';
import { buildTeachers, cacheTeacherLogits } from '../distill/teachers.js';
import { tensorDigest } from '../distill/digest.js';
import { AdaptedModel } from '../model/adaptedModel.js';
import type { PrefixInfo } from '../methods/deep-prompt-tuning/prefixInfo.js';
import type { TuningMethod } from '../methods/method.js';
import { encodeSets, planRun, sampleSplits, type RunPlan } from './prepare.js';
import { freshState, resumeState, writeState, type EvalPoint, type TrainState } from './state.js';
import { evaluate, trainLoop } from './loop.js';
import type { StepContext } from './step.js';
import type { EncodedSet } from '../data/batches.js';

export type { EvalPoint } from './state.js';
export type { PrefixInfo } from '../methods/deep-prompt-tuning/prefixInfo.js';

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
  /** Save every N optimiser steps as well as at the end of every epoch (undefined: at epoch ends only). */
  everySteps?: number;
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
   * The registered task metric (`registerMetric`) the dev score is, which picks the best weights and
   * drives early stopping: a task's own `metric`. Default: accuracy, or mean(Pearson, Spearman)
   * for regression.
   */
  metric?: string;
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

export interface TuneResult {
  config: TuneConfig;
  backboneId: string;
  /** SHA-256 of the backbone's weight files, when the backbone provides it. */
  backboneHash?: string;
  /** What loads the backbone again (`Backbone.spec`), when it has one. */
  backboneSpec?: string;
  /**
   * Best dev score (with a validation split: dev at the step the validation score chose, which is
   * `validationScore`) and, if a test set was given, the test score of those weights, in `metric`
   * (the selection metric: the task's, else accuracy for classification and mean(Pearson,
   * Spearman) for regression). `devAccuracy` and `testAccuracy`: the same weights' accuracy, for
   * classification runs only.
   */
  metrics: { metric: ScoreMetric; devScore: number; validationScore?: number; testScore?: number; devAccuracy?: number; testAccuracy?: number; bestStep: number };
  /** What the head was trained for. */
  objective: Objective;
  /** How pairs reached the encoder (the config's choice, or the backbone's default). */
  pairEncoding: PairEncoding;
  /** Whether the training examples were text pairs (a second text, `textB`); single-text runs refuse pairs later. */
  textPairs: boolean;
  /** The template every input was rendered through, and how many prompt rows its soft tokens take (0: rows went in front). */
  template?: { source: string; softRows: number };
  /** The method's fields for `panda_adapter.json` (promptLength, its prefix layout, ...). */
  adapter: Record<string, unknown>;
  history: EvalPoint[];
  steps: number;
  /** Step the run resumed from (0 for a fresh run). */
  resumedFrom: number;
  /** True when early stopping or the abort signal ended training before the last epoch. */
  stoppedEarly: boolean;
  trainSeconds: number;
  stepsPerSecond: number;
  /** Examples used, by split (after sampling caps). */
  sizes: { train: number; dev: number; validation?: number; test?: number };
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
   * Trained weights by name, the caller owns them: `head/kernel`, `head/bias`, and the method's
   * parameters (`prompt` [m, embedDim]; `prefix` [m, 2·Σ d_l], with reparameterisation also the raw
   * `prefix/*` it was folded from; `encoder/<name>` for model tuning; a plugin method's own keys).
   */
  weights: Record<string, tf.Tensor>;
}

/**
 * Trains an adapted model — a frozen backbone, a tuning method's parameters (from the method
 * registry: prompt tuning, deep prompt tuning, model tuning, a linear probe, a template's soft
 * tokens, or a plugin's) and a linear head — on a task, and returns the best-dev weights.
 *
 * One seed drives initialisation, sampling and the batch order of every epoch (each epoch's order
 * comes from its own stream, so a resumed run sees the same batches). With `checkpoint`, the
 * trainable tensors, optimiser moments, best weights and counters are saved atomically every N
 * steps; resuming gives exactly the run that never stopped. A method whose features never change
 * (the linear probe) has them computed once.
 */
export async function tune(options: TuneOptions): Promise<TuneResult> {
  const config = parseTuneConfig(options.config);
  const { backbone, data } = options;
  const onProgress = options.onProgress ?? silent;
  const rng = new Rng(config.seed);
  const plan = planRun(backbone, config, data, { distill: options.distill !== undefined });
  const picked = sampleSplits(config, data);
  const model = await buildModel(backbone, config, plan, picked.train, data.labels.length, rng);
  const held: tf.Tensor[] = [];
  const teachers: Teacher[] = [];
  let optimizer: AdamW | undefined;
  let state: TrainState | undefined;
  try {
    const sets = encodeSets(model, picked, data.test);
    optimizer = new AdamW([
      { params: [{ key: 'head/kernel', variable: (model.head as LinearHead).kernel }], lr: config.headLr, weightDecay: config.weightDecay },
      { params: [{ key: 'head/bias', variable: (model.head as LinearHead).bias }], lr: config.headLr, weightDecay: 0 },
      ...model.method.paramGroups(config),
    ]);
    const params = optimizer.params();
    const initInfo = applyInit(params, options.init, config.method);
    const distillConfig = options.distill ? distillConfigSchema.parse(options.distill.config ?? {}) : undefined;
    if (options.distill) teachers.push(...buildTeachers(options.distill.teachers, model, distillConfig!.teacherDropout));
    const distillInfo = distillConfig ? { config: distillConfig, teachers: teachers.map((t, i) => ({ name: t.name, beta: t.beta, digest: tensorDigest(options.distill!.teachers[i]!.weights) })), cachedTeacherLogits: distillConfig.cacheTeacherLogits && teachers.every((t) => t.deterministic) } : undefined;
    const teacherCache = distillInfo?.cachedTeacherLogits ? await cacheTeacherLogits(teachers, sets.train, config.evalBatchSize) : [];
    held.push(...teacherCache);
    const features = (set: EncodedSet) => model.setFeatures(set, config.evalBatchSize, { onRows: phaseRows(onProgress, 'features') });
    const cached = model.method.frozenFeatures ? { train: await features(sets.train), dev: await features(sets.dev), ...(sets.validation ? { validation: await features(sets.validation) } : {}) } : undefined;
    if (cached) held.push(...Object.values(cached));
    const engine = cached ? undefined : await trainingEngine(backbone);
    const ctx: StepContext = { model, config, objective: plan.objective, train: sets.train, params, optimizer, ...(cached ? { cachedFeatures: cached.train } : {}), teachers, teacherCache, ...(distillConfig ? { distill: distillConfig } : {}), dropoutRng: rng.fork('prefix-dropout'), ...(engine ? { engine } : {}) };
    const runFingerprint = fingerprint({ ...fingerprintBase(config, plan, backbone, data, sets), ...(initInfo ? { init: initInfo } : {}), ...(distillInfo ? { distill: { config: distillInfo.config, teachers: distillInfo.teachers } } : {}) });
    const ckpt = options.checkpoint;
    state = (ckpt && (ckpt.resume ?? true) ? await resumeState(ckpt.dir, runFingerprint, params, optimizer, onProgress) : undefined) ?? freshState();
    const resumedFrom = state.step;
    const selection = selectionMetric(options.metric, plan.objective, data.labels.length || 1);
    const devGroups = picked.dev.map((e) => e.group ?? e.id);
    const validationGroups = picked.validation?.map((e) => e.group ?? e.id);
    const scoreSet = async (which: 'dev' | 'validation') => {
      const groups = which === 'dev' ? devGroups : validationGroups;
      const feats = cached?.[which];
      return feats ? scoreFeatures(model.head, feats, sets[which]!.labels, plan.objective, selection, groups) : evaluateSet(model, sets[which]!, config.evalBatchSize, plan.objective, selection, groups, phaseRows(onProgress, 'evaluate'));
    };
    // Selection reads the validation set when the run carved one (dev is scored beside it), else dev.
    const selectionScore = async () => {
      if (!sets.validation) return scoreSet('dev');
      const [validation, dev] = [await scoreSet('validation'), await scoreSet('dev')];
      return { ...validation, dev: dev.score };
    };
    const totalSteps = Math.ceil(sets.train.ids.length / config.batchSize) * config.epochs;
    onProgress({ type: 'start', phase: 'train', total: totalSteps, message: `${config.method}: ${sets.train.ids.length} train / ${sets.dev.ids.length} dev examples, ${totalSteps} steps` });
    const s = state;
    const stoppedEarly = await trainLoop(ctx, s, rng, {
      selectionScore,
      higherIsBetter: selection.higherIsBetter,
      checkpoint: async (at) => {
        if (!ckpt) return;
        await writeState(ckpt.dir, runFingerprint, s, params, optimizer!, at);
        onProgress({ type: 'log', message: `checkpoint at step ${s.step}` });
      },
      ...(ckpt?.everySteps ? { checkpointEvery: ckpt.everySteps } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      onProgress,
    });
    if (!s.best) await evaluate(ctx, s, 0, { selectionScore, higherIsBetter: selection.higherIsBetter, onProgress });
    const groups = { dev: devGroups, ...(data.test ? { test: data.test.map((e) => e.group ?? e.id) } : {}) };
    return await finish({ config, backbone, model, plan, sets, groups, selection, state: s, params, resumedFrom, stoppedEarly, initInfo, distillInfo, onProgress });
  } catch (err) {
    if (state?.best) tf.dispose(state.best.weights);
    throw err;
  } finally {
    optimizer?.dispose();
    model.dispose();
    for (const t of teachers) t.dispose();
    tf.dispose(held);
  }
}

/** The trainable model: a fresh head (regression: its bias at the mean target) and the method's parameters. */
async function buildModel(backbone: Backbone, config: TuneConfig, plan: RunPlan, train: readonly Example[], classes: number, rng: Rng): Promise<AdaptedModel> {
  const regression = plan.objective === 'regression';
  const hidden = backbone.encoder.hidden;
  const width = plan.pairs && plan.encoding.pairs === 'two-tower' ? 4 * hidden : hidden;
  const head = new LinearHead(width, regression ? 1 : classes, rng.fork('head'));
  // Regression: the bias starts at the mean training target, so the first steps fit the shape of the
  // scores rather than their offset (STS-B targets lie in 0–5).
  if (regression) tf.tidy(() => head.bias.assign(tf.tensor1d([train.reduce((a, e) => a + e.label, 0) / train.length])));
  try {
    const instance = await plan.method.create({ backbone, config, rng, ...(plan.template ? { template: plan.template } : {}) });
    return new AdaptedModel(backbone, instance, head, plan.encoding);
  } catch (err) {
    head.dispose();
    throw err;
  }
}

/**
 * Prompt transfer: starts named parameters from given values.
 * @returns the keys and a digest of the values, for the manifest and the fingerprint.
 */
/**
 * The backbone's training engine (ONNX Runtime's CPU kernels) when training runs on a CPU backend
 * (wasm, cpu): a GPU backend keeps its own kernels for the whole step.
 */
async function trainingEngine(backbone: Backbone): Promise<TrainingEngine | undefined> {
  if (!['wasm', 'cpu'].includes(tf.getBackend())) return undefined;
  return backbone.training?.();
}

function applyInit(params: readonly NamedParam[], init: Record<string, tf.Tensor> | undefined, method: string): { keys: string[]; digest: string } | undefined {
  const keys = Object.keys(init ?? {}).sort();
  if (!keys.length) return undefined;
  for (const key of keys) {
    const p = params.find((q) => q.key === key);
    const value = init![key]!;
    if (!p) throw new PandaError('CONFIG_INVALID', `init has '${key}', which ${method} does not train (its parameters: ${params.map((q) => q.key).join(', ')})`);
    if (value.shape.join() !== p.variable.shape.join()) {
      throw new PandaError('SHAPE_MISMATCH', `init '${key}' is [${value.shape}], the run's parameter is [${p.variable.shape}] (prompt transfer needs the same prompt length and model)`);
    }
    p.variable.assign(value);
  }
  return { keys, digest: tensorDigest(init!) };
}

/**
 * What identifies a run for its checkpoint: the options its method reads (so options added for one
 * method never invalidate another's checkpoints), the backbone, labels and data ids. Options added
 * later enter only when set away from their old defaults, so older checkpoints still resume.
 */
function fingerprintBase(config: TuneConfig, plan: RunPlan, backbone: Backbone, data: TuneData, sets: { train: EncodedSet; dev: EncodedSet; validation?: EncodedSet }): Record<string, unknown> {
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) if (!METHOD_OPTIONS.has(key) && key !== 'pairEncoding') rest[key] = value;
  const pairs = plan.pairs ? plan.encoding.pairs : (config.pairEncoding ?? 'joined');
  if (pairs !== 'joined') rest.pairEncoding = pairs;
  for (const key of plan.method.configKeys) if (METHOD_OPTIONS.has(key)) rest[key] = config[key];
  return { config: rest, backbone: backbone.id, labels: data.labels, ...(plan.objective === 'regression' ? { objective: plan.objective } : {}), train: sets.train.exampleIds, dev: sets.dev.exampleIds, ...(sets.validation ? { validation: sets.validation.exampleIds } : {}) };
}

/** Options only some methods read: left out of the fingerprint of the others. */
const METHOD_OPTIONS = new Set(['prefixInit', 'prefixDropout', 'prefixProjection', 'prefixHidden', 'modelLr']);

/** Restores the best weights, scores the test set, and gathers the result (the caller then frees the model). */
async function finish(run: {
  config: TuneConfig;
  backbone: Backbone;
  model: AdaptedModel;
  plan: RunPlan;
  sets: { train: EncodedSet; dev: EncodedSet; validation?: EncodedSet; test?: EncodedSet };
  groups: { dev: readonly string[]; test?: readonly string[] };
  selection: SelectionMetric;
  state: TrainState;
  params: readonly NamedParam[];
  resumedFrom: number;
  stoppedEarly: boolean;
  initInfo: TuneResult['init'];
  distillInfo: TuneResult['distill'];
  onProgress: ProgressListener;
}): Promise<TuneResult> {
  const { config, backbone, model, plan, sets, state, params, selection } = run;
  const chosen = state.best!;
  for (const p of params) p.variable.assign(chosen.weights[p.key]!);
  const test = sets.test ? await evaluateSet(model, sets.test, config.evalBatchSize, plan.objective, selection, run.groups.test, phaseRows(run.onProgress, 'test')) : undefined;
  const testScore = test?.score;
  const regression = plan.objective === 'regression';
  // `chosen.acc` is the selection score. Dev needs one more pass with the chosen weights when that
  // score was the validation set's, or for the accuracy beside another selection metric.
  const onDev = !!sets.validation || (!regression && selection.name !== 'accuracy');
  const dev = onDev ? await evaluateSet(model, sets.dev, config.evalBatchSize, plan.objective, selection, run.groups.dev, phaseRows(run.onProgress, 'evaluate')) : undefined;
  const devScore = sets.validation ? dev!.score : chosen.acc;
  const devAccuracy = regression ? undefined : dev ? dev.accuracy : chosen.acc;
  const weights = { ...chosen.weights, ...(model.method.derivedWeights?.() ?? {}) };
  const adapter = model.method.adapterInfo();
  const trainSeconds = state.trainMs / 1000;
  const scores = { devScore, ...(sets.validation ? { validationScore: chosen.acc } : {}), ...(testScore !== undefined ? { testScore } : {}), ...(regression ? {} : { devAccuracy: devAccuracy!, ...(test?.accuracy !== undefined ? { testAccuracy: test.accuracy } : {}) }) };
  run.onProgress({ type: 'done', phase: 'train', metrics: scores });
  return {
    config,
    backboneId: backbone.id,
    ...(backbone.weightsHash ? { backboneHash: backbone.weightsHash } : {}),
    ...(backbone.spec ? { backboneSpec: backbone.spec } : {}),
    metrics: { metric: selection.name, ...scores, bestStep: chosen.step },
    objective: plan.objective,
    pairEncoding: plan.encoding.pairs,
    textPairs: plan.pairs,
    ...(plan.template ? { template: { source: plan.template.template.source, softRows: plan.template.layout.rows } } : {}),
    adapter,
    history: state.history,
    steps: state.step,
    resumedFrom: run.resumedFrom,
    stoppedEarly: run.stoppedEarly,
    trainSeconds,
    stepsPerSecond: state.step / Math.max(1e-9, trainSeconds),
    sizes: { train: sets.train.ids.length, dev: sets.dev.ids.length, ...(sets.validation ? { validation: sets.validation.ids.length } : {}), ...(sets.test ? { test: sets.test.ids.length } : {}) },
    trainIds: sets.train.exampleIds,
    truncated: { train: sets.train.truncated, dev: sets.dev.truncated, ...(sets.test ? { test: sets.test.truncated } : {}) },
    trainableParams: params.reduce((a, p) => a + p.variable.size, 0),
    ...(adapter.prefix ? { prefix: adapter.prefix as PrefixInfo } : {}),
    ...(run.initInfo ? { init: run.initInfo } : {}),
    ...(run.distillInfo ? { distill: run.distillInfo } : {}),
    weights,
  };
}

export type { EncodedSet, TuningMethod };

/** `phase` progress events (examples scored of the pass's total) for a pass over a set. */
function phaseRows(onProgress: ProgressListener, phase: string): (done: number, total: number) => void {
  return (done, total) => onProgress({ type: 'phase', phase, done, total, unit: 'examples' });
}
