import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { PandaError } from '@panda/core';

/** What a worker sends back: events while a job runs, then exactly one result or error. */
type WorkerMessage =
  | { kind: 'event'; id: number; event: unknown }
  | { kind: 'result'; id: number; value: unknown }
  | { kind: 'error'; id: number; code: string; message: string };

export type JobOutcome<R> = { ok: true; value: R; worker: number; seconds: number } | { ok: false; error: PandaError; worker: number; seconds: number };

export interface ProcessPoolOptions {
  /** Absolute path of the worker module; it must call `serveWorker`. */
  modulePath: string;
  /** Number of worker processes (default: one per core). */
  workers?: number;
  /** Node flags for the workers. Default: the parent's for a .js module, source mode (tsx) for a .ts one. */
  execArgv?: string[];
  /** Extra environment for the workers. */
  env?: NodeJS.ProcessEnv;
  /**
   * Called as soon as each job ends, before the others finish (to record results one by one, so an
   * interrupted batch loses only the jobs in flight). May return a promise; the lane waits for it.
   */
  onOutcome?: (jobIndex: number, outcome: JobOutcome<unknown>) => void | Promise<void>;
  /**
   * Stops the batch: running jobs are asked to stop (they return what they have), jobs not yet
   * started come back as `CANCELLED`.
   */
  signal?: AbortSignal;
}

/**
 * A built .js worker inherits the parent's Node flags; a .ts worker runs from source through tsx,
 * resolved from the worker module's own folder (a bare `--import tsx` would resolve it from the
 * working directory, and fail wherever the user runs panda outside the repository).
 */
function defaultExecArgv(modulePath: string): string[] {
  if (!modulePath.endsWith('.ts')) return process.execArgv;
  let tsx = 'tsx';
  try {
    tsx = pathToFileURL(createRequire(modulePath).resolve('tsx')).href;
  } catch {
    // not installed beside the module: leave it to Node's resolution from the working directory
  }
  return ['--conditions=@panda/source', '--import', tsx];
}

/**
 * One worker process that runs jobs one at a time and outlives them (it loads its backend and
 * backbones once). A worker that dies fails its job with `INTERNAL` and is started again for the
 * next job. `runInPool` runs a lane per worker; a queue worker keeps lanes for as long as it serves.
 */
export class WorkerLane {
  readonly #options: ProcessPoolOptions;
  readonly #index: number;
  #child: ChildProcess | undefined;
  #nextId = 0;

  constructor(options: ProcessPoolOptions, index = 0) {
    this.#options = options;
    this.#index = index;
  }

  #start(): ChildProcess {
    return fork(this.#options.modulePath, [], {
      execArgv: this.#options.execArgv ?? defaultExecArgv(this.#options.modulePath),
      // One ONNX Runtime thread per worker unless told otherwise: a pool already runs a process per core.
      env: { ...process.env, PANDA_ONNX_THREADS: process.env.PANDA_ONNX_THREADS ?? '1', ...this.#options.env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
  }

  /** The process id of the lane's worker (undefined before its first job). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /**
   * Runs one job in the lane's process; `onEvent` gets the job's progress events. Aborting
   * `signal` asks the job to stop (the handler's own signal aborts; a tuning run then stops before
   * its next step and still returns its result with the best weights so far).
   */
  async run<J, R>(job: J, onEvent?: (event: unknown) => void, signal?: AbortSignal): Promise<JobOutcome<R>> {
    if (!this.#child || this.#child.exitCode !== null || this.#child.signalCode !== null) this.#child = this.#start();
    const child = this.#child;
    const id = this.#nextId++;
    const worker = this.#index;
    const t0 = performance.now();
    return new Promise<JobOutcome<R>>((resolve) => {
      const onMessage = (msg: WorkerMessage) => {
        if (msg.id !== id) return;
        if (msg.kind === 'event') {
          onEvent?.(msg.event);
          return;
        }
        cleanup();
        const seconds = (performance.now() - t0) / 1000;
        if (msg.kind === 'result') resolve({ ok: true, value: msg.value as R, worker, seconds });
        else resolve({ ok: false, error: new PandaError((msg.code as never) ?? 'INTERNAL', msg.message), worker, seconds });
      };
      const onExit = (code: number | null, signal: string | null) => {
        cleanup();
        resolve({ ok: false, error: new PandaError('INTERNAL', `worker ${worker} exited (${signal ?? `code ${code}`}) during job ${id}`), worker, seconds: (performance.now() - t0) / 1000 });
      };
      const onAbort = () => {
        if (child.connected) child.send({ kind: 'cancel', id });
      };
      const cleanup = () => {
        child.off('message', onMessage);
        child.off('exit', onExit);
        signal?.removeEventListener('abort', onAbort);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send({ kind: 'job', id, job });
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Stops the lane's process (a job in flight fails). */
  close(): void {
    this.#child?.kill();
    this.#child = undefined;
  }
}

/**
 * Runs independent jobs in a pool of worker processes (the wasm backend is single-threaded, so
 * parallel runs need processes). Jobs go to the first free worker, in order; results come back in
 * job order. A job that throws yields `{ ok: false }` without stopping the others; a worker that
 * dies fails its job with `INTERNAL` and is replaced.
 */
export async function runInPool<J, R>(jobs: readonly J[], options: ProcessPoolOptions, onEvent?: (jobIndex: number, event: unknown) => void): Promise<JobOutcome<R>[]> {
  const size = Math.max(1, Math.min(options.workers ?? availableParallelism(), jobs.length));
  const outcomes: JobOutcome<R>[] = new Array(jobs.length);
  let next = 0;

  const lane = async (worker: number): Promise<void> => {
    const workerLane = new WorkerLane(options, worker);
    try {
      while (next < jobs.length) {
        const index = next++;
        const outcome = options.signal?.aborted
          ? { ok: false as const, error: new PandaError('CANCELLED', `job ${index} was cancelled before it started`), worker, seconds: 0 }
          : await workerLane.run<J, R>(jobs[index]!, onEvent ? (e) => onEvent(index, e) : undefined, options.signal);
        outcomes[index] = outcome;
        await options.onOutcome?.(index, outcome);
      }
    } finally {
      workerLane.close();
    }
  };

  await Promise.all(Array.from({ length: size }, (_, w) => lane(w)));
  return outcomes;
}

/**
 * The worker side: call once in the worker module with the job handler. `emit` forwards progress
 * events to the parent. `signal` aborts when the parent goes away (killed, or the IPC channel
 * closed): a handler that honours it stops between steps, and the worker then exits on its own
 * instead of computing for nobody.
 */
export function serveWorker<J, R>(handler: (job: J, emit: (event: unknown) => void, signal: AbortSignal) => Promise<R>): void {
  if (!process.send) throw new PandaError('INTERNAL', 'serveWorker must run in a process started by runInPool');
  const parentGone = new AbortController();
  process.once('disconnect', () => parentGone.abort());
  // Per job: aborted by the parent's `cancel` for that job, or when the parent goes away.
  const cancels = new Map<number, AbortController>();
  process.on('message', async (msg: { kind: 'job'; id: number; job: J } | { kind: 'cancel'; id: number }) => {
    if (msg?.kind === 'cancel') {
      cancels.get(msg.id)?.abort();
      return;
    }
    if (msg?.kind !== 'job') return;
    const send = (m: WorkerMessage) => {
      if (process.connected) process.send!(m);
    };
    const cancel = new AbortController();
    cancels.set(msg.id, cancel);
    const signal = AbortSignal.any([parentGone.signal, cancel.signal]);
    try {
      const value = await handler(msg.job, (event) => send({ kind: 'event', id: msg.id, event }), signal);
      send({ kind: 'result', id: msg.id, value });
    } catch (err) {
      const e = err as { code?: string; message?: string };
      send({ kind: 'error', id: msg.id, code: typeof e.code === 'string' ? e.code : 'INTERNAL', message: e.message ?? String(err) });
    } finally {
      cancels.delete(msg.id);
    }
  });
}
