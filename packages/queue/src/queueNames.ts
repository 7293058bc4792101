import type { TuneTaskResult } from '@panda/tuner';
import type { RunBundle } from './wire/runBundle.js';

/** The BullMQ queue panda's coordinators and workers share unless told otherwise. */
export const DEFAULT_QUEUE_NAME = 'panda-tune';

/** Seconds a worker's job lock lasts without renewal (BullMQ's lockDuration). */
export const DEFAULT_LOCK_SECONDS = 30;

/** What a worker returns for a job: the tuning result (file names, not paths), the run, who ran it. */
export interface QueueResult {
  result: TuneTaskResult;
  run?: RunBundle;
  worker: string;
  seconds: number;
}
