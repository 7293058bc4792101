import { Queue, QueueEvents, type Job } from 'bullmq';
import { PandaError, ERROR_CODES, type ErrorCode } from '@panda/core';
import type { JobOutcome } from '@panda/runtime';
import type { TuneRunner, TuneTaskResult } from '@panda/tuner';
import { connectQueue, redactUrl, waitForQueue } from '../connection/connect.js';
import { cancelKey, DEFAULT_QUEUE_NAME, type QueueProgress, type QueueResult } from '../queueNames.js';
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
    const signal = runOptions.signal;
    const onAbort = () => nudge();
    signal?.addEventListener('abort', onAbort, { once: true });
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
      const lastStep = new Map<number, string>();
      const lastSeq = new Map<number, number>();
      // Forwards what a job published since the last look: its latest step, each other event once.
      const forward = (i: number, progress: unknown) => {
        if (!progress || typeof progress !== 'object' || !('events' in progress)) return;
        const p = progress as QueueProgress;
        for (const { seq, event } of p.events) {
          if (seq <= (lastSeq.get(i) ?? 0)) continue;
          lastSeq.set(i, seq);
          runOptions.onEvent?.(i, event as never);
        }
        const step = JSON.stringify(p.step ?? null);
        if (p.step && step !== lastStep.get(i)) {
          lastStep.set(i, step);
          runOptions.onEvent?.(i, { type: 'step', ...p.step });
        }
      };
      // A stop: jobs no worker holds yet leave the queue (CANCELLED); running ones are asked to
      // stop and come back with what they have.
      let cancelling = false;
      const cancel = async () => {
        cancelling = true;
        for (const i of [...pending]) {
          await redis.set(cancelKey(name, ids[i]!), '1', 'EX', 24 * 3600);
          const job = await queue.getJob(ids[i]!);
          const state = job ? await job.getState() : 'missing';
          if (job && state !== 'active' && state !== 'completed' && state !== 'failed') {
            const removed = await job.remove().then(() => true, () => false);
            if (!removed) continue;
          } else if (job) continue;
          outcomes[i] = { ok: false, error: new PandaError('CANCELLED', `${wires[i]!.label} was cancelled before a worker started it`), worker: 0, seconds: 0 };
          pending.delete(i);
          await runOptions.onOutcome?.(i, outcomes[i]!);
        }
      };

      const settle = async (i: number, job: Job, state: string): Promise<void> => {
        if (state === 'completed') {
          forward(i, job.progress);
          const r = job.returnvalue as QueueResult | null;
          if (!r?.result) throw new PandaError('INTERNAL', `${wires[i]!.label}: the queue says the job completed but holds no result`);
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
        if (signal?.aborted && !cancelling) await cancel();
        for (const i of [...pending]) {
          const job = await queue.getJob(ids[i]!);
          if (!job) {
            if (cancelling) continue;
            log(`${wires[i]!.label}: no longer in the queue (was Redis restarted without persistence?): enqueued again`);
            await add(i);
            continue;
          }
          const state = await job.getState();
          if (state === 'completed' || state === 'failed') {
            // Read the job again: the copy above may predate its end (a job that finished between
            // the two reads has no return value or failure reason in it).
            const finished = await queue.getJob(ids[i]!);
            if (finished) await settle(i, finished, state);
            continue;
          }
          forward(i, job.progress);
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
      signal?.removeEventListener('abort', onAbort);
      wake = undefined;
      await events.close().catch(() => {});
      await queue.close().catch(() => {});
      eventsConnection.disconnect();
      redis.disconnect();
    }
  };
}

