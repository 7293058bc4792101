import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ProgressEvent } from '@panda/core';
import { ServiceError } from '../errors/httpStatus.js';
import { emptyProgress, type JobProgress, type JobRecord, type JobStore } from './jobStore.js';
import type { WorkerJob, WorkerReply, WorkerRequest } from './jobWorker.js';
import { redactPaths, type PathNames } from './redactPaths.js';
import { PhaseClock } from './phaseClock.js';

/** A job as the runner sees it: its record; the runner turns the request into a tuning job. */
export type JobEvent = { type: 'status'; job: JobRecord } | { type: 'progress'; progress: JobProgress; event: ProgressEvent };
export type JobListener = (event: JobEvent) => void;

export interface JobRunnerOptions {
  maxJobs: number;
  maxQueued: number;
  /** Turns a stored request into the tuning job to run (paths resolved inside the data directory). */
  resolve: (job: JobRecord) => Promise<WorkerJob>;
  backend?: string;
  /**
   * Seconds a cancelled job's process may take to react to the cancel before it is killed (default
   * 30). Once it has reacted (it stops before its next step) it is never killed for the time its
   * final evaluation and saving take: a cancel always keeps the best weights so far.
   */
  cancelGraceSeconds?: number;
  /** Folders job messages may name: shown relative to the data directory, never as server paths. */
  paths?: PathNames;
  log?: (line: string) => void;
}

interface Running {
  child: ChildProcess;
  progress: JobProgress;
  cancelRequested: boolean;
  replied: boolean;
  stderrTail: string;
  lastSaved: number;
  phases: PhaseClock;
  killTimer?: NodeJS.Timeout;
}

const MAX_POINTS = 1000;

/**
 * Runs training jobs, `maxJobs` at a time, each in its own process (the TensorFlow.js wasm backend
 * is single-threaded and a training step would block the service's event loop). Progress goes to
 * the jobs table as it happens and to subscribers (the SSE endpoint). On start, jobs a stopped
 * service left `running` become `interrupted`, and so does a job whose process dies without an
 * answer (killed, out of memory); `resume` queues them again, and the tuner continues from the
 * job's last checkpoint. A job that fails with an error of its own is `failed`.
 */
export class JobRunner {
  readonly #store: JobStore;
  readonly #options: JobRunnerOptions;
  readonly #running = new Map<string, Running>();
  /** Jobs taken from the queue whose files are being resolved: no longer waiting, not yet running. */
  readonly #starting = new Set<string>();
  readonly #listeners = new Map<string, Set<JobListener>>();
  #closing = false;
  #pumping = false;

  constructor(store: JobStore, options: JobRunnerOptions) {
    this.#store = store;
    this.#options = options;
  }

  /** A job message as clients see it (no absolute server paths). */
  #clean(message: string): string {
    return this.#options.paths ? redactPaths(message, this.#options.paths) : message;
  }

  /** The process id of a running job's worker. */
  workerPid(id: string): number | undefined {
    return this.#running.get(id)?.child.pid;
  }

  /** Marks jobs a previous service left running as interrupted and starts queued ones. */
  start(): { interrupted: string[] } {
    const interrupted = this.#store.markInterrupted();
    void this.#pump();
    return { interrupted };
  }

  get active(): number {
    return this.#running.size;
  }

  /** Jobs waiting for a slot: queued ones, less those already being started. */
  #waiting(): number {
    return this.#store.count('queued') - this.#starting.size;
  }

  submit<Req>(kind: string, request: Req): JobRecord {
    if (this.#waiting() >= this.#options.maxQueued) {
      throw new ServiceError(429, 'TOO_MANY_JOBS', `${this.#options.maxQueued} jobs are already waiting; try again when some have finished`);
    }
    const job = this.#store.create(kind, request);
    this.#notify(job.id);
    void this.#pump();
    return this.#store.get(job.id)!;
  }

  cancel(id: string): JobRecord {
    const job = this.#get(id);
    const running = this.#running.get(id);
    if (running) {
      if (!running.cancelRequested) {
        running.cancelRequested = true;
        running.child.send({ type: 'cancel' } satisfies WorkerRequest);
        running.killTimer = setTimeout(() => running.child.kill('SIGKILL'), (this.#options.cancelGraceSeconds ?? 30) * 1000);
        running.killTimer.unref();
      }
      return job;
    }
    if (job.status === 'queued' || job.status === 'interrupted') {
      this.#store.setStatus(id, 'cancelled', { error: { code: 'CANCELLED', message: 'cancelled before it finished' } });
      this.#notify(id);
      return this.#store.get(id)!;
    }
    throw new ServiceError(409, 'JOB_STATE', `job ${id} is ${job.status}; only queued, running or interrupted jobs can be cancelled`);
  }

  resume(id: string): JobRecord {
    const job = this.#get(id);
    if (job.status !== 'interrupted' && job.status !== 'cancelled') {
      throw new ServiceError(409, 'JOB_STATE', `job ${id} is ${job.status}; only interrupted or cancelled jobs can be resumed`);
    }
    if (this.#waiting() >= this.#options.maxQueued) throw new ServiceError(429, 'TOO_MANY_JOBS', `${this.#options.maxQueued} jobs are already waiting`);
    this.#store.setStatus(id, 'queued', { error: null });
    this.#notify(id);
    void this.#pump();
    return this.#store.get(id)!;
  }

  /** Live events of one job; returns the unsubscribe function. */
  subscribe(id: string, listener: JobListener): () => void {
    let set = this.#listeners.get(id);
    if (!set) this.#listeners.set(id, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(id);
    };
  }

  /** Current progress of a running job (fresher than the stored one), else the stored one. */
  progress(id: string): JobProgress | undefined {
    return this.#running.get(id)?.progress ?? this.#store.get(id)?.progress;
  }

  /**
   * Stops the runner: running jobs' processes are killed and the jobs marked interrupted (their
   * checkpoints stay), so the next service can resume them.
   */
  async close(): Promise<void> {
    this.#closing = true;
    const exits = [...this.#running.entries()].map(
      ([id, r]) =>
        new Promise<void>((resolve) => {
          this.#store.setProgress(id, r.progress);
          this.#store.setStatus(id, 'interrupted', { error: { code: 'INTERRUPTED', message: 'the service stopped while the job ran; resume it to continue from its last checkpoint' } });
          this.#notify(id);
          if (r.child.exitCode !== null || r.child.signalCode !== null) return resolve();
          r.child.once('exit', () => resolve());
          r.child.kill('SIGKILL');
        }),
    );
    await Promise.all(exits);
    this.#running.clear();
    this.#listeners.clear();
  }

  #get(id: string): JobRecord {
    const job = this.#store.get(id);
    if (!job) throw new ServiceError(404, 'NOT_FOUND', `no job '${id}'`);
    return job;
  }

  #notify(id: string, event?: JobEvent): void {
    const set = this.#listeners.get(id);
    if (!set?.size) return;
    const e: JobEvent = event ?? { type: 'status', job: this.#store.get(id)! };
    for (const l of [...set]) {
      try {
        l(e);
      } catch {
        // a broken listener (closed stream) must not stop the others
      }
    }
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (!this.#closing && this.#running.size < this.#options.maxJobs) {
        const next = this.#store.queued()[0];
        if (!next) break;
        await this.#launch(next);
      }
    } finally {
      this.#pumping = false;
    }
  }

  async #launch(job: JobRecord): Promise<void> {
    let tuneJob: WorkerJob;
    // While its files are resolved the job still reads 'queued' in the store, but it no longer
    // waits: it must not count against maxQueued (a job submitted meanwhile was refused with 429).
    this.#starting.add(job.id);
    try {
      tuneJob = await this.#options.resolve(job);
    } catch (err) {
      this.#starting.delete(job.id);
      if (this.#closing) return;
      const e = err as { code?: string; message?: string };
      this.#store.setStatus(job.id, 'failed', { error: { code: e.code ?? 'INTERNAL', message: this.#clean(e.message ?? String(err)) } });
      this.#notify(job.id);
      return;
    }
    this.#starting.delete(job.id);
    // The service stopped while the job's files were resolved: it stays queued for the next one.
    if (this.#closing) return;
    // Cancelled while its files were resolved: it stays cancelled.
    if (this.#store.get(job.id)?.status !== 'queued') return;
    const { module, execArgv } = workerModule();
    const child = fork(module, [], {
      execArgv,
      env: { ...process.env, ...(this.#options.backend ? { PANDA_BACKEND: this.#options.backend } : {}) },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    const running: Running = { child, progress: job.progress ?? emptyProgress(), cancelRequested: false, replied: false, stderrTail: '', lastSaved: 0, phases: new PhaseClock() };
    this.#running.set(job.id, running);
    this.#store.setStatus(job.id, 'running', { error: null });
    this.#notify(job.id);
    this.#options.log?.(`job ${job.id} started (attempt ${job.attempts + 1})`);

    child.stderr?.on('data', (chunk: Buffer) => {
      running.stderrTail = (running.stderrTail + chunk.toString()).slice(-4000);
    });
    child.on('message', (msg: WorkerReply) => {
      if (this.#closing) return;
      if (msg.type === 'event') this.#onEvent(job.id, running, msg.event);
      else if (msg.type === 'stopping') {
        // The worker took the cancel: it stops before its next step, then evaluates and saves.
        clearTimeout(running.killTimer);
        this.#options.log?.(`job ${job.id} is stopping: saving its best weights`);
      } else if (msg.type === 'result') {
        running.replied = true;
        this.#store.setProgress(job.id, running.progress);
        this.#store.setStatus(job.id, running.cancelRequested ? 'cancelled' : 'done', {
          result: msg.result,
          error: running.cancelRequested ? { code: 'CANCELLED', message: 'cancelled; the best weights so far were saved' } : null,
        });
        this.#options.log?.(`job ${job.id} ${running.cancelRequested ? 'cancelled' : 'done'}`);
        this.#notify(job.id);
      } else if (msg.type === 'error') {
        running.replied = true;
        this.#store.setProgress(job.id, running.progress);
        const message = this.#clean(msg.message);
        // A cancel that caught the job before it started (a queue job no worker had taken).
        if (msg.code === 'CANCELLED' && running.cancelRequested) this.#store.setStatus(job.id, 'cancelled', { error: { code: 'CANCELLED', message } });
        else this.#store.setStatus(job.id, 'failed', { error: { code: msg.code, message } });
        this.#options.log?.(`job ${job.id} failed: ${msg.code}: ${message.slice(0, 300)}`);
        this.#notify(job.id);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(running.killTimer);
      this.#running.delete(job.id);
      if (this.#closing) return;
      if (!running.replied) {
        this.#store.setProgress(job.id, running.progress);
        if (running.cancelRequested) {
          this.#store.setStatus(job.id, 'cancelled', { error: { code: 'CANCELLED', message: 'cancelled (the job did not stop in time and was killed)' } });
        } else {
          // The process died (killed, out of memory, a crash) rather than the job failing: its
          // checkpoint is intact, so the job is interrupted and can be resumed from it.
          // Only a short tail of the worker's stderr: the wasm backend can print very long dumps.
          const tail = this.#clean(running.stderrTail.trim().split('\n').slice(-3).join(' | ')).slice(0, 500);
          const message = `the job's process exited (${signal ?? `code ${code}`}) before it finished; resume it to continue from its last checkpoint${tail ? `: ${tail}` : ''}`;
          this.#store.setStatus(job.id, 'interrupted', { error: { code: 'INTERRUPTED', message } });
          this.#options.log?.(`job ${job.id} interrupted: its process exited (${signal ?? `code ${code}`})`);
        }
        this.#notify(job.id);
      }
      void this.#pump();
    });
    child.send({ type: 'run', job: { ...tuneJob, ...(this.#options.backend ? { backend: this.#options.backend } : {}) } } satisfies WorkerRequest);
  }

  #onEvent(id: string, r: Running, raw: ProgressEvent): void {
    const event: ProgressEvent = 'message' in raw && typeof raw.message === 'string' ? ({ ...raw, message: this.#clean(raw.message) } as ProgressEvent) : raw;
    const p = r.progress;
    const now = Date.now();
    switch (event.type) {
      case 'start':
        p.total = event.total;
        if (event.message) p.message = event.message;
        r.phases.reset(p);
        r.phases.update(p, event.phase, 0, event.total, 'steps', now);
        break;
      case 'step':
        // A resumed run repeats the steps after its checkpoint: drop the points it will redo.
        while (p.losses.length && p.losses[p.losses.length - 1]![0] >= event.step) p.losses.pop();
        p.step = event.step;
        p.total = event.total;
        p.loss = event.loss ?? null;
        p.stepsPerSecond = event.stepsPerSecond ?? null;
        if (event.loss !== undefined && Number.isFinite(event.loss)) p.losses.push([event.step, event.loss]);
        if (p.losses.length > MAX_POINTS) p.losses = p.losses.filter((_, i) => i % 2 === 0 || i === p.losses.length - 1);
        r.phases.update(p, event.phase, event.step, event.total, 'steps', now, event.stepsPerSecond);
        break;
      case 'phase':
        r.phases.update(p, event.phase, event.done, event.total, event.unit ?? 'examples', now);
        break;
      case 'eval': {
        const step = event.metrics.step ?? p.step;
        while (p.evals.length && p.evals[p.evals.length - 1]!.step >= step) p.evals.pop();
        const trainLoss = event.metrics.trainLoss;
        p.evals.push({ step, epoch: event.epoch, devAccuracy: event.metrics.devAccuracy ?? Number.NaN, trainLoss: trainLoss === undefined || Number.isNaN(trainLoss) ? null : trainLoss });
        break;
      }
      case 'log':
        p.message = event.message;
        break;
      case 'done':
        break;
    }
    // Steps and passes over a set come often: stored at most twice a second (a pass's first and last event always).
    const frequent = event.type === 'step' || (event.type === 'phase' && event.done > 0 && event.done < event.total);
    if (!frequent || now - r.lastSaved > 500) {
      this.#store.setProgress(id, p);
      r.lastSaved = now;
    }
    this.#notify(id, { type: 'progress', progress: p, event });
  }
}

/** The worker module: the built .js beside this file, else the .ts source run through tsx. */
function workerModule(): { module: string; execArgv: string[] } {
  const js = fileURLToPath(new URL('./jobWorker.js', import.meta.url));
  if (existsSync(js)) return { module: js, execArgv: [] };
  const tsx = createRequire(import.meta.url).resolve('tsx');
  return { module: fileURLToPath(new URL('./jobWorker.ts', import.meta.url)), execArgv: ['--conditions=@panda/source', '--import', pathToFileURL(tsx).href] };
}
