import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ProgressEvent } from '@panda/core';
import { loadedPlugins } from '@panda/core/plugins';
import { runInPool, WorkerLane, type JobOutcome } from '@panda/runtime';
import type { TuneTaskResult } from '../job/tuneTask.js';
import type { TuneJob } from './tuneJob.js';

/** The worker module: the built .js beside this file, else the .ts source (workspace mode). */
function workerPath(): string {
  const js = fileURLToPath(new URL('./tuneWorker.js', import.meta.url));
  return existsSync(js) ? js : fileURLToPath(new URL('./tuneWorker.ts', import.meta.url));
}

/**
 * Runs many independent tuning jobs in a pool of worker processes (default: one per core), each
 * loading each job's backbone once. Results come back in job order; a failed job does not stop the
 * others. Jobs without their own `plugins` get this process's loaded plugins, so a backbone, task,
 * metric or method a plugin registered here exists in the workers too.
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
  const plugins = loadedPlugins().map((p) => p.url);
  return runInPool<TuneJob, TuneTaskResult>(
    plugins.length ? jobs.map((j) => (j.plugins ? j : { ...j, plugins })) : jobs,
    {
      modulePath: workerPath(),
      ...(options.workers ? { workers: options.workers } : {}),
      ...(options.onOutcome ? { onOutcome: options.onOutcome as (i: number, o: JobOutcome<unknown>) => void | Promise<void> } : {}),
    },
    (i, e) => options.onEvent?.(i, e as ProgressEvent),
  );
}

/**
 * One long-lived tuning process (the same worker module as `tuneMany`) for callers that receive
 * jobs one at a time, such as a queue worker: `lane.run(job, onEvent)` resolves to the job's
 * outcome; `lane.close()` stops the process.
 */
export function openTuneLane(index = 0): WorkerLane {
  return new WorkerLane({ modulePath: workerPath() }, index);
}

/** The signature of `tuneMany`: a local process pool, or a runner that sends the jobs elsewhere (a queue). */
export type TuneRunner = typeof tuneMany;
