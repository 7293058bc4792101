import type { TuneTaskResult } from '@panda/tuner';
import type { RunBundle } from './wire/runBundle.js';

/** The BullMQ queue panda's coordinators and workers share unless told otherwise. */
export const DEFAULT_QUEUE_NAME = 'panda-tune';

/** Seconds a worker's job lock lasts without renewal (BullMQ's lockDuration). */
export const DEFAULT_LOCK_SECONDS = 30;

/** The Redis key a coordinator sets to ask the worker running a job to stop it (it returns what it has). */
export function cancelKey(queueName: string, jobId: string): string {
  return `panda:${queueName}:cancel:${jobId}`;
}

/**
 * A running job's progress as the worker publishes it (`job.progress`): its latest step, and the
 * latest other events (evaluations, phases, log lines) numbered by `seq`, so a coordinator polling
 * now and then forwards each event once.
 */
export interface QueueProgress {
  step?: { phase: string; step: number; total: number; loss?: number; stepsPerSecond?: number };
  events: Array<{ seq: number; event: Record<string, unknown> }>;
}

/** What a worker returns for a job: the tuning result (file names, not paths), the run, who ran it. */
export interface QueueResult {
  result: TuneTaskResult;
  run?: RunBundle;
  worker: string;
  seconds: number;
}
