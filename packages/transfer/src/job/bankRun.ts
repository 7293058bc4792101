import * as tf from '@tensorflow/tfjs-core';
import type { Backbone } from '@panda/backbones';
import type { PromptBank, BankEntry } from '@panda/bank';
import { asTrainable, getTask, resolveDataDir, type TaskDefinition } from '@panda/datasets';
import { loadRun, modelFromParts, partsOfRun, type AdaptedModel } from '@panda/tuner';
import { describeTask, type TaskEmbeddingConfigInput } from '../embedding/taskEmbedding.js';

/**
 * Stores a saved prompt run in the bank: its task embedding (the frozen model run with the run's
 * own prompt on the task's dev examples), adapter folder, manifest and metrics. `replace` (default
 * true) overwrites an entry with the same id.
 */
export async function addRunToBank(options: {
  bank: PromptBank;
  backbone: Backbone;
  runDir: string;
  /** Entry id (default `<task>/<method>/<folder name>`). */
  id?: string;
  /** The task the run was trained on (default: the run's recorded task, from the registry). */
  task?: TaskDefinition;
  dataDir?: string;
  embedding?: TaskEmbeddingConfigInput;
  replace?: boolean;
}): Promise<BankEntry> {
  const run = await loadRun(options.runDir);
  let model: AdaptedModel | undefined;
  try {
    model = modelFromParts(options.backbone, partsOfRun(run));
    const task = asTrainable(options.task ?? getTask(run.adapter.task));
    const dev = await task.load('dev', { dataDir: resolveDataDir(options.dataDir), skipBadRows: true });
    const d = describeTask(model, dev.examples, options.embedding);
    const metrics = Object.fromEntries(Object.entries((run.manifest.metrics as Record<string, unknown>) ?? {}).filter(([, v]) => typeof v === 'number')) as Record<string, number>;
    const entry = {
      id: options.id ?? `${run.adapter.task}/${run.adapter.method}/${options.runDir.split(/[\\/]/).filter(Boolean).pop()}`,
      task: run.adapter.task,
      model: run.adapter.backbone,
      method: run.adapter.method,
      embedding: d.embedding,
      adapterDir: options.runDir,
      manifest: { ...run.manifest, taskEmbedding: { samples: d.sampleIds.length, ...(options.embedding ?? {}) } },
      metrics,
    };
    return options.replace === false ? options.bank.add(entry) : options.bank.replace(entry);
  } finally {
    model?.dispose();
    tf.dispose(run.weights);
  }
}
