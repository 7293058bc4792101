import { rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { createHash } from 'node:crypto';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { ErrorCode, ProgressEvent } from '@panda/core';
import { openTuneLane, type TuneJob, type TuneTaskResult } from '@panda/tuner';
import type { WorkerLane } from '@panda/runtime';
import { connectQueue, redactUrl, waitForQueue } from '../connection/connect.js';
import { cancelKey, DEFAULT_QUEUE_NAME, DEFAULT_LOCK_SECONDS, type QueueProgress, type QueueResult } from '../queueNames.js';
import { packRun } from '../wire/runBundle.js';
import { DEFAULT_MAX_JOB_BYTES, wireJobBytes, wireJobSchema, type WireJob } from '../wire/wireJob.js';
import { materialize } from './materialize.js';

export interface QueueWorkerOptions {
  /** `redis://host:port` (or `rediss://`, with `:password@`). */
  url: string;
  queueName?: string;
  /** Tuning processes on this machine: jobs run this many at a time (default 1). */
  processes?: number;
  /** The worker's own folder: each job writes only inside `<workDir>/<job>/`. */
  workDir: string;
  /** Where built-in tasks read their files on this machine (default: $PANDA_DATA_DIR, else ./data; see resolveDataDir). */
  dataDir?: string;
  /** Backbone specs (Hugging Face folders on this machine) jobs may ask for, besides `use-lite`. */
  models?: readonly string[];
  /** Most bytes of data and runs a job may carry (default 32 MiB). */
  maxJobBytes?: number;
  /**
   * Seconds a job's lock lasts without renewal (default 30). A worker that dies holding a job loses
   * it after this long, and another worker's stalled-job check hands the job on.
   */
  lockSeconds?: number;
  /** The name jobs record as `processedBy` (default host:pid). */
  name?: string;
  onLog?: (line: string) => void;
}

export interface QueueWorkerHandle {
  readonly name: string;
  /** Jobs this worker finished (ok or failed) since it started. */
  readonly finished: () => number;
  /** Stops taking jobs; waits for the running ones unless `force`. */
  close(force?: boolean): Promise<void>;
}

/** Errors a retry cannot cure: the job fails at once instead of running three times. */
const FINAL: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['CONFIG_INVALID', 'TASK_UNKNOWN', 'LABEL_UNKNOWN', 'TEMPLATE_INVALID', 'VERBALIZER_INVALID', 'JOB_REJECTED', 'NON_FINITE_LOSS', 'PROMPT_TOO_LONG', 'SHAPE_MISMATCH', 'CHECKPOINT_INVALID', 'DATA_ROW_INVALID']);

function reject(message: string): never {
  throw new UnrecoverableError(`JOB_REJECTED: ${message}`);
}

/**
 * `panda worker`: takes tuning jobs from the queue and runs them in `processes` long-lived tuning
 * processes (each loads the backend and the backbone once). A job's progress goes to the queue
 * (`job.progress`), its trained run back with its result. The worker writes nothing but its own
 * folder: it never touches a grid store or a prompt bank (the coordinator is their one writer).
 */
export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorkerHandle> {
  const processes = Math.max(1, options.processes ?? 1);
  const name = options.name ?? `${hostname()}:${process.pid}`;
  const log = options.onLog ?? (() => {});
  const maxBytes = options.maxJobBytes ?? DEFAULT_MAX_JOB_BYTES;
  const models = new Set(['use-lite', ...(options.models ?? [])]);
  const queueName = options.queueName ?? DEFAULT_QUEUE_NAME;
  const lanes: WorkerLane[] = Array.from({ length: processes }, (_, i) => openTuneLane(i));
  const redis = connectQueue(options.url, `panda-worker ${name}`);
  await waitForQueue(redis, options.url);
  let finished = 0;

  const processJob = async (job: Job): Promise<QueueResult> => {
    const parsed = wireJobSchema.safeParse(job.data);
    if (!parsed.success) reject(`not a panda tuning job (${parsed.error.issues[0]?.path.join('.') || '.'}: ${parsed.error.issues[0]?.message})`);
    const wire: WireJob = parsed.data;
    const bytes = wireJobBytes(wire);
    if (bytes > maxBytes) reject(`the job carries ${bytes} bytes, over this worker's limit of ${maxBytes}`);
    if (wire.model && !models.has(wire.model)) reject(`this worker does not hold the model ${JSON.stringify(wire.model)} (start it with --model <spec>)`);
    // The folder name comes from a hash of the id, never from the id itself.
    const jobDir = join(options.workDir, createHash('sha256').update(String(job.id)).digest('hex').slice(0, 24));
    const local: TuneJob = await materialize(wire, jobDir, options.dataDir);
    const lane = lanes.pop()!;
    log(`${wire.label}: started (attempt ${job.attemptsMade + 1}, process ${lanes.length})`);
    const progress = publisher(job);
    // A coordinator asks for a stop through a key; the run then stops before its next step and
    // returns its best weights, as a local cancel does.
    const stop = new AbortController();
    const key = cancelKey(queueName, String(job.id));
    const watch = setInterval(() => {
      void redis.exists(key).then((n) => n && stop.abort(), () => {});
    }, 1000);
    let outcome;
    try {
      outcome = await lane.run<TuneJob, TuneTaskResult>(local, progress.onEvent, stop.signal);
    } finally {
      clearInterval(watch);
      lanes.push(lane);
      await progress.flush();
      void redis.del(key).catch(() => {});
    }
    finished++;
    if (!outcome.ok) {
      log(`${wire.label}: failed (${outcome.error.code}: ${outcome.error.message})`);
      const message = `${outcome.error.code}: ${outcome.error.message}`;
      if (FINAL.has(outcome.error.code)) {
        await rm(jobDir, { recursive: true, force: true });
        throw new UnrecoverableError(message);
      }
      throw new Error(message);
    }
    const run = wire.returnRun ? await packRun(join(jobDir, 'out')) : undefined;
    await rm(jobDir, { recursive: true, force: true });
    log(`${wire.label}: done in ${outcome.seconds.toFixed(1)} s (dev ${outcome.value.metrics.devScore.toFixed(4)})`);
    return { result: { ...outcome.value, files: outcome.value.files.map((f) => basename(f)) }, ...(run ? { run } : {}), worker: name, seconds: outcome.seconds };
  };

  const lockDuration = (options.lockSeconds ?? DEFAULT_LOCK_SECONDS) * 1000;
  const worker = new Worker(queueName, processJob, {
    connection: redis,
    concurrency: processes,
    name,
    lockDuration,
    stalledInterval: Math.max(1000, Math.round(lockDuration / 2)),
    // A job whose worker died is handed on twice before it counts as failed.
    maxStalledCount: 2,
  });
  worker.on('error', (err) => log(`queue error: ${err.message}`));
  worker.on('stalled', (jobId) => log(`job ${jobId} stalled (its worker stopped renewing its lock): handed on`));
  log(`worker ${name}: ${processes} process(es) on ${redactUrl(options.url)}, queue ${queueName}`);
  return {
    name,
    finished: () => finished,
    async close(force = false) {
      await worker.close(force);
      for (const lane of lanes) lane.close();
      redis.disconnect();
    },
  };
}

/** Keep this many recent non-step events in a job's published progress. */
const JOURNAL = 50;

/**
 * Publishes a running job's events as its BullMQ progress ({@link QueueProgress}), at most every
 * half second (the last state is always sent by `flush`).
 */
function publisher(job: Job): { onEvent: (e: unknown) => void; flush: () => Promise<void> } {
  const state: QueueProgress = { events: [] };
  let seq = 0;
  let timer: NodeJS.Timeout | undefined;
  let last = 0;
  const send = async () => {
    timer = undefined;
    last = Date.now();
    await job.updateProgress(state as unknown as object).catch(() => {});
  };
  return {
    onEvent(e) {
      const ev = e as ProgressEvent;
      if (ev.type === 'step') state.step = { phase: ev.phase, step: ev.step, total: ev.total, ...(ev.loss !== undefined ? { loss: ev.loss } : {}), ...(ev.stepsPerSecond !== undefined ? { stepsPerSecond: ev.stepsPerSecond } : {}) };
      else {
        state.events.push({ seq: ++seq, event: ev as unknown as Record<string, unknown> });
        if (state.events.length > JOURNAL) state.events.shift();
      }
      if (!timer) timer = setTimeout(() => void send(), Math.max(0, 500 - (Date.now() - last)));
    },
    async flush() {
      if (timer) clearTimeout(timer);
      await send();
    },
  };
}
