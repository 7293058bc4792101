import { Queue, QueueEvents, type Job } from 'bullmq';
import { PandaError, ERROR_CODES, type ErrorCode } from '@panda/core';
import type { JobOutcome } from '@panda/runtime';
import type { TuneRunner, TuneTaskResult } from '@panda/tuner';
import { connectQueue, redactUrl, waitForQueue } from '../connection/connect.js';
import { DEFAULT_QUEUE_NAME, type QueueResult } from '../queueNames.js';
import { unpackRun } from '../wire/runBundle.js';
import { DEFAULT_MAX_JOB_BYTES, toWire, wireJobId, type WireJob } from '../wire/wireJob.js';

export interface QueueRunnerOptions {
  /** `redis://host:port` (or `rediss://`, with `:password@`). */
  url: string;
  queueName?: string;
  /** Tries per job before it counts as failed (default 3). */
  attempts?: number;
  /** Seconds between checks of the jobs in flight besides the queue's events (default 2). */
  pollSeconds?: number;
  maxJobBytes?: number;
  onLog?: (line: string) => void;
}

const WEEK_SECONDS = 7 * 24 * 3600;

function errorFrom(reason: string | undefined): PandaError {
  const m = /^([A-Z_]+): ([\s\S]*)$/.exec(reason ?? '');
  const code = m && (ERROR_CODES as readonly string[]).includes(m[1]!) ? (m[1] as ErrorCode) : 'INTERNAL';
  return new PandaError(code, m ? m[2]! : (reason ?? 'the job failed without a reason'));
}

/**
 * A {@link TuneRunner} that sends the jobs to `panda worker`s through a BullMQ queue instead of a
 * local process pool: the caller (a grid, the service) keeps its stores and writes every result
 * itself. Each job's id is a hash of what it carries, so a restarted coordinator finds the jobs it
 * enqueued before (and the results that arrived meanwhile) instead of enqueueing them again. A job
 * missing from the queue (a Redis restarted without persistence) is enqueued again; one that has
 * failed `attempts` times comes back as a failed outcome with the worker's error.
 */
export function queueRunner(options: QueueRunnerOptions): TuneRunner {
  const name = options.queueName ?? DEFAULT_QUEUE_NAME;
  const attempts = options.attempts ?? 3;
  const pollMs = (options.pollSeconds ?? 2) * 1000;
  const log = options.onLog ?? (() => {});
  return async (jobs, runOptions = {}) => {
    const redis = connectQueue(options.url, 'panda-coordinator');
    await waitForQueue(redis, options.url);
    const queue = new Queue(name, { connection: redis });
    const eventsConnection = redis.duplicate();
    eventsConnection.on('error', () => {});
    const events = new QueueEvents(name, { connection: eventsConnection });
    events.on('error', () => {});
    let wake: (() => void) | undefined;
    const nudge = () => wake?.();
    events.on('completed', nudge);
    events.on('failed', nudge);
    events.on('progress', nudge);
    try {
      const wires: WireJob[] = [];
      for (const [i, job] of jobs.entries()) wires.push(await toWire(job, job.label ?? `job ${i}`, options.maxJobBytes ?? DEFAULT_MAX_JOB_BYTES));
      const ids = wires.map(wireJobId);
      const add = (i: number) => queue.add('tune', wires[i]!, { jobId: ids[i]!, attempts, backoff: { type: 'fixed', delay: 2000 }, removeOnComplete: { age: WEEK_SECONDS }, removeOnFail: { age: WEEK_SECONDS } });
      let reused = 0;
      for (let i = 0; i < jobs.length; i++) {
        const existing = await queue.getJob(ids[i]!);
        const state = existing ? await existing.getState() : undefined;
        // A job that failed in an earlier attempt of this grid is tried again, as a local run would be.
        if (existing && state === 'failed') await existing.remove();
        else if (existing) reused++;
        await add(i);
      }
      log(`queue ${name} on ${redactUrl(options.url)}: ${jobs.length} job(s) enqueued${reused ? ` (${reused} already there from an earlier coordinator)` : ''}`);

      const outcomes: JobOutcome<TuneTaskResult>[] = new Array(jobs.length);
      const pending = new Set(jobs.keys());
      const lastProgress = new Map<number, string>();
      const settle = async (i: number, job: Job, state: string): Promise<void> => {
        if (state === 'completed') {
          const r = job.returnvalue as QueueResult;
          const outDir = jobs[i]!.outDir;
          const files = outDir && r.run ? await unpackRun(r.run, outDir) : [];
          outcomes[i] = { ok: true, value: { ...r.result, files }, worker: 0, seconds: r.seconds };
        } else {
          outcomes[i] = { ok: false, error: errorFrom(job.failedReason), worker: 0, seconds: job.finishedOn && job.processedOn ? (job.finishedOn - job.processedOn) / 1000 : 0 };
        }
        pending.delete(i);
        await runOptions.onOutcome?.(i, outcomes[i]!);
        // Recorded by the caller: the queue need not keep it (a failed job stays, for inspection).
        if (state === 'completed') await job.remove().catch(() => {});
      };
      while (pending.size) {
        for (const i of [...pending]) {
          const job = await queue.getJob(ids[i]!);
          if (!job) {
            log(`${wires[i]!.label}: no longer in the queue (was Redis restarted without persistence?): enqueued again`);
            await add(i);
            continue;
          }
          const state = await job.getState();
          if (state === 'completed' || state === 'failed') {
            await settle(i, job, state);
            continue;
          }
          const progress = JSON.stringify(job.progress ?? null);
          if (progress !== lastProgress.get(i) && typeof job.progress === 'object') {
            lastProgress.set(i, progress);
            runOptions.onEvent?.(i, { type: 'step', ...(job.progress as object) } as never);
          }
        }
        if (pending.size) await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, pollMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      return outcomes;
    } finally {
      wake = undefined;
      await events.close().catch(() => {});
      await queue.close().catch(() => {});
      eventsConnection.disconnect();
      redis.disconnect();
    }
  };
}

