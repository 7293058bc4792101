import * as tf from '@tensorflow/tfjs-core';
import { PandaError, silent, type ProgressListener } from '@panda/core';
import { join } from 'node:path';
import { loadUseLite, type Backbone } from '@panda/backbones';
import { resolveDataDir, type LoadContext, type SplitName, type TaskDefinition } from '@panda/datasets';
import type { TuneConfigInput } from '../config.js';
import { tune, type TuneResult } from '../train/tune.js';
import { saveRun } from '../io/saveRun.js';

export interface TuneTaskOptions {
  task: TaskDefinition;
  config?: TuneConfigInput;
  /** Folder for adapter.safetensors, adapter_config.json and manifest.json; omitted: nothing saved. */
  outDir?: string;
  dataDir?: string;
  /** Skip and count malformed rows instead of failing on the first. */
  skipBadRows?: boolean;
  /** Evaluate the best weights on the test split when the task has one (default true). */
  evaluateTest?: boolean;
  /** Cap on test examples (a seeded prefix of the split's fixed order). */
  maxTestExamples?: number;
  /** Save a checkpoint every N steps in `<outDir>/checkpoint` (needs outDir); resume from it when present. */
  checkpointEverySteps?: number;
  /** A loaded backbone to reuse; default: USE-Lite, loaded and disposed here. */
  backbone?: Backbone;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
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
  const { task } = options;
  if (task.type !== 'single' && task.type !== 'pair') {
    throw new PandaError(
      'CONFIG_INVALID',
      `task '${task.name}' is a ${task.type} task; the tuner handles single-text and sentence-pair classification for now (regression, multiple choice and span tasks need the template and head work that follows)`,
    );
  }
  const context: LoadContext = { dataDir: resolveDataDir(options.dataDir), skipBadRows: options.skipBadRows ?? false };
  const wantTest = (options.evaluateTest ?? true) && task.splits.includes('test');
  onProgress({ type: 'log', message: `loading task ${task.name}: ${task.description}` });
  // One split after another, so a missing file is always reported in the same order.
  const train = await task.load('train', context);
  const dev = await task.load('dev', context);
  const test = wantTest ? await task.load('test', { ...context, ...(options.maxTestExamples ? { limit: options.maxTestExamples } : {}) }) : undefined;
  const skippedRows: Partial<Record<SplitName, number>> = { train: train.skipped, dev: dev.skipped, ...(test ? { test: test.skipped } : {}) };
  for (const [split, n] of Object.entries(skippedRows)) if (n) onProgress({ type: 'log', message: `skipped ${n} malformed ${split} row(s)` });

  const backbone = options.backbone ?? (await loadUseLite());
  try {
    const result = await tune({
      backbone,
      data: { train: train.examples, dev: dev.examples, ...(test ? { test: test.examples } : {}), labels: task.labels },
      ...(options.config ? { config: options.config } : {}),
      onProgress,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.checkpointEverySteps ? { checkpoint: { dir: checkpointDir(options), everySteps: options.checkpointEverySteps } } : {}),
    });
    try {
      const files = options.outDir ? (await saveRun(options.outDir, result, { task: task.name, labels: task.labels })).files : [];
      const { weights: _weights, ...rest } = result;
      return { ...rest, task: task.name, skippedRows, files };
    } finally {
      tf.dispose(result.weights);
    }
  } finally {
    if (!options.backbone) backbone.dispose();
  }
}

function checkpointDir(options: TuneTaskOptions): string {
  return join(options.outDir!, 'checkpoint');
}
