import * as tf from '@tensorflow/tfjs-core';
import type { ProgressListener } from '@panda/core';
import { initBackend } from '@panda/runtime';
import { loadBackbone, type Backbone } from '@panda/backbones';
import { asTrainable, getTask, resolveDataDir } from '@panda/datasets';
import { loadRun } from '@panda/tuner';
import { describeRun } from '../embedding/taskEmbedding.js';
import type { GridSpec } from './spec.js';
import type { GridStore } from './store.js';

/** A task embedding the grid needs: stored under `key`, from the saved prompt in `dir`, on `task`'s dev set. */
export interface EmbeddingJob {
  key: string;
  task: string;
  dir: string;
}

/**
 * Phase 2 of the grid: the task embedding of every prompt the grid transfers from or to, through
 * that prompt, on its task's dev set (in this process); only those not in the store yet.
 */
export async function computeTaskEmbeddings(store: GridStore, spec: GridSpec, jobs: readonly EmbeddingJob[], given: Backbone | undefined, onProgress: ProgressListener): Promise<void> {
  const have = store.tasks();
  const todo = [...new Map(jobs.filter((j) => !have.has(j.key)).map((j) => [j.key, j])).values()];
  if (!todo.length) return;
  await initBackend();
  const backbone = given ?? (await loadBackbone(spec.model));
  try {
    for (const job of todo) {
      onProgress({ type: 'log', message: `task embedding: ${job.key}` });
      const def = asTrainable(getTask(job.task));
      const dev = await def.load('dev', { dataDir: resolveDataDir(spec.dataDir), skipBadRows: true });
      const run = await loadRun(job.dir);
      try {
        const prompt = (run.weights.prompt ?? run.weights.prefix) as tf.Tensor2D | undefined;
        const d = await describeRun(job.dir, backbone, dev.examples, spec.embedding);
        store.putTask({ task: job.key, embedding: d.embedding, activationRate: d.activationRate, prompt: prompt ? (prompt.dataSync() as Float32Array) : new Float32Array(0), promptRows: prompt ? prompt.shape[0] : 0 });
      } finally {
        tf.dispose(run.weights);
      }
    }
  } finally {
    if (!given) backbone.dispose();
  }
}
