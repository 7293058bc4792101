// Worker process of `tuneMany`: loads the backend and USE-Lite once, then runs jobs as they come.
import type { ProgressEvent } from '@panda/core';
import { initBackend, serveWorker } from '@panda/runtime';
import { loadUseLite, type Backbone } from '@panda/backbones';
import { fileTask, getTask } from '@panda/datasets';
import { tuneTask, type TuneTaskResult } from '../job/tuneTask.js';
import type { TuneJob } from './tuneJob.js';

let backbone: Promise<Backbone> | undefined;

serveWorker<TuneJob, TuneTaskResult>(async (job, emit, signal) => {
  await initBackend();
  backbone ??= loadUseLite();
  const task = typeof job.task === 'string' ? getTask(job.task) : fileTask(job.task);
  return tuneTask({
    task,
    backbone: await backbone,
    ...(job.config ? { config: job.config } : {}),
    ...(job.outDir ? { outDir: job.outDir } : {}),
    ...(job.dataDir ? { dataDir: job.dataDir } : {}),
    ...(job.maxTestExamples ? { maxTestExamples: job.maxTestExamples } : {}),
    ...(job.checkpointEverySteps ? { checkpointEverySteps: job.checkpointEverySteps } : {}),
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
