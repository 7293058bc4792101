// Worker process of `tuneMany`: loads the backend once, each job's plugins once, and each backbone
// spec once, then runs jobs as they come.
import type { ProgressEvent } from '@panda/core';
import { loadPlugins } from '@panda/core/plugins';
import { initBackend, serveWorker } from '@panda/runtime';
import { loadBackbone, type Backbone } from '@panda/backbones';
import { fileTask, getTask } from '@panda/datasets';
import { tuneTask, type TuneTaskResult } from '../job/tuneTask.js';
import type { TuneJob } from './tuneJob.js';

const backbones = new Map<string, Promise<Backbone>>();

// This module is the worker process's entry point. A worker whose parent is gone (killed, or the
// IPC channel closed) leaves at once rather than finishing (and saving) a run nobody will record
// into a folder that the parent's next attempt (a resumed grid) may already be training into.
// What the run checkpointed stays on disk, and the next attempt resumes from it.
process.once('disconnect', () => process.exit(1));

function backboneFor(spec: string): Promise<Backbone> {
  let b = backbones.get(spec);
  if (!b) {
    b = loadBackbone(spec);
    // A failed load is not cached: the next job with this spec tries again (and reports its error).
    b.catch(() => backbones.delete(spec));
    backbones.set(spec, b);
  }
  return b;
}

serveWorker<TuneJob, TuneTaskResult>(async (job, emit, signal) => {
  await initBackend();
  if (job.plugins?.length) await loadPlugins(job.plugins);
  const task = typeof job.task === 'string' ? getTask(job.task) : fileTask(job.task);
  return tuneTask({
    task,
    backbone: await backboneFor(job.model ?? 'use-lite'),
    ...(job.config ? { config: job.config } : {}),
    ...(job.outDir ? { outDir: job.outDir } : {}),
    ...(job.dataDir ? { dataDir: job.dataDir } : {}),
    ...(job.maxTestExamples ? { maxTestExamples: job.maxTestExamples } : {}),
    ...(job.skipBadRows ? { skipBadRows: true } : {}),
    ...(job.checkpointEverySteps ? { checkpointEverySteps: job.checkpointEverySteps } : {}),
    ...(job.overwrite ? { overwrite: true } : {}),
    ...(job.initFrom ? { initFrom: job.initFrom } : {}),
    ...(job.teachers ? { teachers: job.teachers } : {}),
    ...(job.distill ? { distill: job.distill } : {}),
    ...(job.manifest ? { manifest: job.manifest } : {}),
    ...(job.evaluateTest !== undefined ? { evaluateTest: job.evaluateTest } : {}),
    signal,
    onProgress: (e: ProgressEvent) => {
      if (e.type !== 'step' || e.step % 10 === 0 || e.step === e.total) emit(e);
    },
  });
});
