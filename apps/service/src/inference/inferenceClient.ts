import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PandaError, type ErrorCode } from '@panda/core';
import { ServiceError, type ServiceErrorCode } from '../errors/httpStatus.js';
import type { Prediction } from './runLoader.js';
import type { BackboneInfo, InferenceReply, InferenceRequest, InferenceSetup, PredictGroup } from './inferenceWorker.js';

export type { BackboneInfo, PredictGroup };

export interface InferenceClientOptions {
  /** What the process loads: the backbone spec, the plugin modules (read when it starts), the backend, the run cache size. */
  setup: () => InferenceSetup;
  /** Prediction requests in the process at once (running or waiting); beyond it a request is refused with 503. */
  maxQueued: number;
  log?: (line: string) => void;
}

interface Pending {
  resolve: (value: any) => void;
  reject: (err: unknown) => void;
  /** Counted against `maxQueued`. */
  predict: boolean;
}

/**
 * The service's side of the inference process (inferenceWorker.ts): started on first use, one
 * request at a time in it, at most `maxQueued` predictions waiting or running. A full queue is a
 * 503 at once. The process failing fails the requests it held (500) and the next request starts a
 * new one. `close()` ends it.
 */
export class InferenceClient {
  readonly #options: InferenceClientOptions;
  readonly #pending = new Map<number, Pending>();
  #child: ChildProcess | undefined;
  #stderrTail = '';
  #nextId = 1;
  #info: Promise<BackboneInfo> | undefined;
  #closed = false;

  constructor(options: InferenceClientOptions) {
    this.#options = options;
  }

  /** Prediction requests in the process (running or waiting). */
  get pending(): number {
    let n = 0;
    for (const p of this.#pending.values()) if (p.predict) n++;
    return n;
  }

  /** One list of predictions per group, in order; 503 SERVICE_BUSY when the queue is full. */
  predict(groups: PredictGroup[]): Promise<Prediction[][]> {
    if (this.pending >= this.#options.maxQueued) {
      throw new ServiceError(503, 'SERVICE_BUSY', `the prediction queue is full (${this.#options.maxQueued} request(s) in progress); try again shortly`, { retryAfterSeconds: 1 });
    }
    return this.#request({ type: 'predict', id: 0, groups }, true);
  }

  /** The backbone's id and widths (loads it in the process on first use; kept after that). */
  backboneInfo(): Promise<BackboneInfo> {
    this.#info ??= this.#request<BackboneInfo>({ type: 'info', id: 0 }, false);
    this.#info.catch(() => (this.#info = undefined));
    return this.#info;
  }

  /** The info when it has been fetched already (no process is started for it). */
  async knownInfo(): Promise<BackboneInfo | undefined> {
    return this.#info?.catch(() => undefined);
  }

  /** Drops a loaded prompt folder from the process's cache (its files changed or went). */
  forget(dir: string): void {
    if (this.#child?.connected) this.#child.send({ type: 'forget', dir } satisfies InferenceRequest);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const child = this.#child;
    this.#child = undefined;
    this.#failAll(new PandaError('INTERNAL', 'the service is stopping'));
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  #request<T>(msg: InferenceRequest & { id: number }, predict: boolean): Promise<T> {
    if (this.#closed) return Promise.reject(new PandaError('INTERNAL', 'the service is stopping'));
    const child = this.#process();
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, predict });
      child.send({ ...msg, id });
    });
  }

  #process(): ChildProcess {
    if (this.#child) return this.#child;
    const { module, execArgv } = workerModule();
    const setup = this.#options.setup();
    const child = fork(module, [], {
      execArgv,
      env: { ...process.env, ...(setup.backend ? { PANDA_BACKEND: setup.backend } : {}) },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    this.#child = child;
    this.#stderrTail = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      this.#stderrTail = (this.#stderrTail + chunk.toString()).slice(-4000);
    });
    child.on('message', (m: InferenceReply) => this.#onReply(m));
    child.once('exit', (code, signal) => {
      if (this.#child === child) this.#child = undefined;
      if (this.#closed) return;
      const tail = this.#stderrTail.trim().split('\n').slice(-3).join(' | ').slice(0, 500);
      this.#options.log?.(`inference process exited (${signal ?? `code ${code}`})${tail ? `: ${tail}` : ''}`);
      this.#info = undefined;
      this.#failAll(new PandaError('INTERNAL', `the inference process exited (${signal ?? `code ${code}`}) before it answered`));
    });
    child.send({ type: 'init', setup } satisfies InferenceRequest);
    return child;
  }

  #onReply(m: InferenceReply): void {
    const p = this.#pending.get(m.id);
    if (!p) return;
    this.#pending.delete(m.id);
    if (m.type === 'predictions') p.resolve(m.groups);
    else if (m.type === 'info') p.resolve(m.info);
    else p.reject(replyError(m));
  }

  #failAll(err: unknown): void {
    const all = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of all) p.reject(err);
  }
}

/** The process's error as the service would have thrown it here (same code, so the same HTTP status). */
function replyError(m: Extract<InferenceReply, { type: 'error' }>): Error {
  if (m.status !== undefined) return new ServiceError(m.status, m.code as ServiceErrorCode, m.message, m.details ?? {});
  return new PandaError(m.code as ErrorCode, m.message, { details: m.details ?? {} });
}

/** The worker module: the built .js beside this file, else the .ts source run through tsx. */
function workerModule(): { module: string; execArgv: string[] } {
  const js = fileURLToPath(new URL('./inferenceWorker.js', import.meta.url));
  if (existsSync(js)) return { module: js, execArgv: [] };
  const tsx = createRequire(import.meta.url).resolve('tsx');
  return { module: fileURLToPath(new URL('./inferenceWorker.ts', import.meta.url)), execArgv: ['--conditions=@panda/source', '--import', pathToFileURL(tsx).href] };
}
