import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ProgressEvent } from '@panda/core';
import { runInPool, type JobOutcome } from '@panda/runtime';
import type { TuneTaskResult } from '../job/tuneTask.js';
import type { TuneJob } from './tuneJob.js';

/** The worker module: the built .js beside this file, else the .ts source (workspace mode). */
function workerPath(): string {
  const js = fileURLToPath(new URL('./tuneWorker.js', import.meta.url));
  return existsSync(js) ? js : fileURLToPath(new URL('./tuneWorker.ts', import.meta.url));
}

/**
 * Runs many independent tuning jobs in a pool of worker processes (default: one per core), each
 * loading USE-Lite once. Results come back in job order; a failed job does not stop the others.
 */
export function tuneMany(
  jobs: readonly TuneJob[],
  options: {
    workers?: number;
    onEvent?: (job: number, event: ProgressEvent) => void;
    /** Each job's outcome as soon as it ends (see ProcessPoolOptions.onOutcome). */
    onOutcome?: (job: number, outcome: JobOutcome<TuneTaskResult>) => void | Promise<void>;
  } = {},
): Promise<JobOutcome<TuneTaskResult>[]> {
  return runInPool<TuneJob, TuneTaskResult>(
    jobs,
    {
      modulePath: workerPath(),
      ...(options.workers ? { workers: options.workers } : {}),
      ...(options.onOutcome ? { onOutcome: options.onOutcome as (i: number, o: JobOutcome<unknown>) => void | Promise<void> } : {}),
    },
    (i, e) => options.onEvent?.(i, e as ProgressEvent),
  );
}
