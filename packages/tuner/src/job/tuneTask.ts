import * as tf from '@tensorflow/tfjs-core';
import { isPandaError, PandaError, silent, type ProgressListener } from '@panda/core';
import { join } from 'node:path';
import { loadBackbone, type Backbone } from '@panda/backbones';
import { asTrainable, resolveDataDir, type LoadContext, type SplitName, type TaskDefinition } from '@panda/datasets';
import type { TuneConfigInput } from '../config.js';
import { tune, type CheckpointOptions, type TuneResult } from '../train/tune.js';
import { saveRun } from '../io/saveRun.js';
import { CHECKPOINT_SUBDIR, prepareOutDir } from '../io/outDir.js';
import { loadRun } from '../io/loadRun.js';
import { parseTuneConfig } from '../config.js';
import { methodByName } from '../methods/registry.js';
import type { DistillConfigInput } from '../distill/config.js';

export interface TuneTaskOptions {
  task: TaskDefinition;
  config?: TuneConfigInput;
  /**
   * Folder for adapter.safetensors, panda_adapter.json and manifest.json (and the checkpoint);
   * omitted: nothing saved. It is created and checked writable before anything trains.
   */
  outDir?: string;
  /**
   * Replace a finished run already in `outDir` (and ignore its checkpoint: train from scratch).
   * Without it such a folder is refused with `RUN_EXISTS`, unless its checkpoint shows it is this
   * very run, which then resumes (and, finished, trains no more).
   */
  overwrite?: boolean;
  /**
   * Keep a checkpoint in `<outDir>/checkpoint` (default true with outDir): at every epoch end, and
   * every `checkpointEverySteps` steps when given; a rerun of the same run resumes from it.
   */
  checkpoint?: boolean;
  dataDir?: string;
  /** Skip and count malformed rows instead of failing on the first. */
  skipBadRows?: boolean;
  /** Evaluate the best weights on the test split when the task has one (default true). */
  evaluateTest?: boolean;
  /** Cap on test examples (a seeded prefix of the split's fixed order). */
  maxTestExamples?: number;
  /** Save a checkpoint every N steps too in `<outDir>/checkpoint` (needs outDir); resume from it when present. */
  checkpointEverySteps?: number;
  /** A loaded backbone to reuse; default: the one {@link model} names, loaded and disposed here. */
  backbone?: Backbone;
  /** Backbone spec for `loadBackbone` when no backbone is given: `use-lite` (default) or a Hugging Face folder. */
  model?: string;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
  /**
   * Prompt transfer: start the prompt (or deep prefix) from saved runs instead of a random one. One
   * run is vanilla PoT; several are averaged with the given weights (early fusion, normalised to
   * sum 1). The head always starts fresh. Runs must come from the same backbone and method.
   */
  initFrom?: Array<{ dir: string; weight?: number }>;
  /** Knowledge distillation from saved runs on this task (PANDA's teachers), each with its β. */
  teachers?: Array<{ dir: string; beta: number; name?: string }>;
  distill?: DistillConfigInput;
  /** Extra manifest fields (e.g. the transfer's sources and their similarities). */
  manifest?: Record<string, unknown>;
}

export interface TuneTaskResult extends Omit<TuneResult, 'weights'> {
  task: string;
  skippedRows: Partial<Record<SplitName, number>>;
  files: string[];
}

/**
 * The main tuning job: load the task's splits and the backbone, tune, save the run. Everything a
 * CLI or service needs in one call.
 */
export async function tuneTask(options: TuneTaskOptions): Promise<TuneTaskResult> {
  const onProgress = options.onProgress ?? silent;
  if (options.checkpointEverySteps && !options.outDir) {
    throw new PandaError('CONFIG_INVALID', 'checkpoints need an output folder (--out)');
  }
  if (options.checkpointEverySteps && options.checkpoint === false) {
    throw new PandaError('CONFIG_INVALID', 'checkpointEverySteps (--checkpoint-every) needs checkpoints on (not checkpoint: false / --no-checkpoint)');
  }
  // Before any data is read or step taken: the config must be valid, the folder must take files
  // and not hold another run.
  const method = parseTuneConfig(options.config).method;
  const out = options.outDir ? await guardOutDir(options.outDir, options) : undefined;
  // Regression tasks (STS-B) train a one-output head; span and multiple-choice tasks are tuned as
  // text-pair classification (a fixed, documented serialisation).
  const task = asTrainable(options.task);
  const objective = task.type === 'regression' ? 'regression' : 'classification';
  if (task !== options.task) onProgress({ type: 'log', message: `${options.task.name} is a ${options.task.type} task: tuned as text-pair classification (see asClassification)` });
  const context: LoadContext = { dataDir: resolveDataDir(options.dataDir), skipBadRows: options.skipBadRows ?? false };
  const wantTest = (options.evaluateTest ?? true) && task.splits.includes('test');
  onProgress({ type: 'log', message: `loading task ${task.name}: ${task.description}` });
  // One split after another, so a missing file is always reported in the same order.
  const train = await task.load('train', context);
  const dev = await task.load('dev', context);
  const test = wantTest ? await task.load('test', { ...context, ...(options.maxTestExamples ? { limit: options.maxTestExamples } : {}) }) : undefined;
  const skippedRows: Partial<Record<SplitName, number>> = { train: train.skipped, dev: dev.skipped, ...(test ? { test: test.skipped } : {}) };
  for (const [split, n] of Object.entries(skippedRows)) if (n) onProgress({ type: 'log', message: `skipped ${n} malformed ${split} row(s)` });

  const backbone = options.backbone ?? (await loadBackbone(options.model));
  const init = options.initFrom?.length ? await loadInit(options.initFrom, backbone.id, method) : undefined;
  const teacherRuns = await Promise.all((options.teachers ?? []).map(async (t) => ({ t, run: await loadRun(t.dir) })));
  try {
    for (const { t, run } of teacherRuns) {
      if (run.adapter.backbone !== backbone.id) throw new PandaError('MODEL_MISMATCH', `teacher ${t.dir} was trained on ${run.adapter.backbone}, not ${backbone.id}`);
      if (run.adapter.labels.join('\u0000') !== task.labels.join('\u0000')) throw new PandaError('LABEL_UNKNOWN', `teacher ${t.dir} predicts [${run.adapter.labels.join(', ')}], the task has [${task.labels.join(', ')}]`);
    }
    const result = await tune({
      ...(init ? { init } : {}),
      ...(out?.checkpoint ? { checkpoint: out.checkpoint } : {}),
      ...(teacherRuns.length
        ? {
            distill: {
              teachers: teacherRuns.map(({ t, run }) => ({
                weights: run.weights,
                beta: t.beta,
                name: t.name ?? String(run.adapter.task),
                method: run.adapter.method,
                adapter: run.adapter,
                prefixDropout: Number((run.adapter.prefix as { dropout?: number } | undefined)?.dropout ?? 0),
              })),
              ...(options.distill ? { config: options.distill } : {}),
            },
          }
        : {}),
      backbone,
      // The task's primary metric picks the best weights (CoLA by MCC, CB by mean(accuracy, macro-F1), ...).
      metric: task.metric,
      data: { train: train.examples, dev: dev.examples, ...(test ? { test: test.examples } : {}), labels: task.labels, objective },
      ...(options.config ? { config: options.config } : {}),
      onProgress,
      ...(options.signal ? { signal: options.signal } : {}),
    }).catch((err: unknown) => {
      throw out ? otherRunsCheckpoint(err, options.outDir!, out.finished) : err;
    });
    try {
      const files = options.outDir ? (await saveRun(options.outDir, result, { task: task.name, labels: task.labels, ...(options.manifest ? { manifest: options.manifest } : {}) })).files : [];
      const { weights: _weights, ...rest } = result;
      return { ...rest, task: task.name, skippedRows, files };
    } finally {
      tf.dispose(result.weights);
    }
  } finally {
    if (init) tf.dispose(init);
    for (const { run } of teacherRuns) tf.dispose(run.weights);
    if (!options.backbone) backbone.dispose();
  }
}

/**
 * The initial prompt from saved runs: one run's prompt (PoT) or the weighted average of several
 * (early fusion), over the keys the method transfers (with reparameterisation the raw `prefix/*`
 * parameters; the folded table is not a parameter of such a run). Averaging raw MLP parameters is
 * not averaging the tables they give, so early fusion of reparameterised prefixes is refused.
 */
async function loadInit(sources: NonNullable<TuneTaskOptions['initFrom']>, backboneId: string, methodName: string): Promise<Record<string, tf.Tensor>> {
  const method = methodByName(methodName);
  if (!method.transferKeys) throw new PandaError('CONFIG_INVALID', `prompt transfer needs a method with transferable prompt parameters (prompt-tuning, deep-prompt-tuning), not ${methodName}`);
  const weights = sources.map((s) => s.weight ?? 1);
  const total = weights.reduce((a, w) => a + w, 0);
  if (!(total > 0) || weights.some((w) => !(w >= 0))) throw new PandaError('CONFIG_INVALID', `source weights must be ≥ 0 with a positive sum, got [${weights.join(', ')}]`);
  const runs = await Promise.all(sources.map((s) => loadRun(s.dir)));
  try {
    for (const [i, run] of runs.entries()) {
      if (run.adapter.backbone !== backboneId) throw new PandaError('MODEL_MISMATCH', `source ${sources[i]!.dir} was trained on ${run.adapter.backbone}, not ${backboneId}`);
      if (run.adapter.method !== methodName) throw new PandaError('CONFIG_INVALID', `source ${sources[i]!.dir} is a ${run.adapter.method} run; this run is ${methodName}`);
    }
    const keys = method.transferKeys(runs[0]!.weights);
    if (runs.length > 1 && keys.some((k) => k.startsWith('prefix/'))) {
      throw new PandaError('CONFIG_INVALID', 'early fusion of reparameterised prefixes would average the MLP weights, not the prefixes: fuse runs trained without prefixProjection, or use late fusion');
    }
    return tf.tidy(() => {
      const out: Record<string, tf.Tensor> = {};
      for (const key of keys) {
        const parts = runs.map((r, i) => {
          const t = r.weights[key];
          if (!t || t.shape.join() !== runs[0]!.weights[key]!.shape.join()) {
            throw new PandaError('SHAPE_MISMATCH', `source ${sources[i]!.dir}: '${key}' is ${t ? `[${t.shape}]` : 'missing'}, the first source's is [${runs[0]!.weights[key]!.shape}]`);
          }
          return tf.mul(t, weights[i]! / total);
        });
        out[key] = tf.addN(parts);
      }
      return out;
    });
  } finally {
    for (const r of runs) tf.dispose(r.weights);
  }
}

/**
 * Checks the output folder before training (writable: `IO_FAILED` otherwise) and decides how the
 * run uses it: a finished run there is refused (`RUN_EXISTS`) unless `overwrite`, or unless its
 * checkpoint may show it is this same run (the fingerprint, checked when the run is planned).
 */
async function guardOutDir(dir: string, options: TuneTaskOptions): Promise<{ finished: boolean; checkpoint?: CheckpointOptions }> {
  const state = await prepareOutDir(dir);
  const keep = options.checkpoint ?? true;
  if (state.finished && !options.overwrite && !(keep && state.checkpoint)) {
    throw new PandaError(
      'RUN_EXISTS',
      `${dir} already holds a finished run (panda_adapter.json, manifest.json)${keep ? ' and no checkpoint to show that this is the same run' : ''}; choose another output folder, or replace it with overwrite: true (panda tune --overwrite)`,
      { details: { path: dir } },
    );
  }
  const checkpoint: CheckpointOptions | undefined = keep ? { dir: join(dir, CHECKPOINT_SUBDIR), resume: !options.overwrite, ...(options.checkpointEverySteps ? { everySteps: options.checkpointEverySteps } : {}) } : undefined;
  return { finished: state.finished, ...(checkpoint ? { checkpoint } : {}) };
}

/** A checkpoint of another run in the output folder: `RUN_EXISTS` over a finished run, else the checkpoint error with the way out. */
function otherRunsCheckpoint(err: unknown, dir: string, finished: boolean): unknown {
  if (!isPandaError(err, 'CHECKPOINT_INVALID') || err.details.reason !== 'fingerprint') return err;
  const way = 'choose another output folder, or start over with overwrite: true (panda tune --overwrite)';
  if (finished) return new PandaError('RUN_EXISTS', `${dir} already holds a finished run of another config, model or data; ${way}`, { cause: err, details: { path: dir } });
  return new PandaError('CHECKPOINT_INVALID', `${err.message}; ${way}`, { cause: err, details: err.details });
}
