import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';
import { serve, type ServerType } from '@hono/node-server';
import { PandaError } from '@panda/core';
import { initBackend, parseBackendName } from '@panda/runtime';
import { loadedPlugins, loadPlugins } from '@panda/core/plugins';
import { resolveDataDir } from '@panda/datasets';
import type { WorkerJob } from './jobs/jobWorker.js';
import { serviceOptionsSchema, type ServiceOptions, type ServiceOptionsInput } from './config.js';
import { errorResponse, ServiceError } from './errors/httpStatus.js';
import { JobRunner } from './jobs/jobRunner.js';
import { JobStore, type JobRecord } from './jobs/jobStore.js';
import { PromptStore } from './inference/promptStore.js';
import { InferenceClient } from './inference/inferenceClient.js';
import { originGuard } from './api/originGuard.js';
import { PromptBank } from '@panda/bank';
import { bankRoutes } from './api/bankRoutes.js';
import { runRoutes } from './api/runRoutes.js';
import { gridRoutes } from './api/gridRoutes.js';
import { GridFolders } from './grids/gridFolders.js';
import { staticFiles } from './staticFiles.js';
import { DatasetStore } from './storage/datasetStore.js';
import { ServiceDir } from './storage/serviceDir.js';
import { lockDir, type DirLock } from './storage/dirLock.js';
import { apiRoutes, SERVICE_VERSION, type ServiceParts } from './api/routes.js';
import { openApiDocument, register, type RouteSpec } from './api/route.js';
import type { RetrieveJobRequest, TransferJobRequest, TuneJobRequest } from './api/schemas.js';

export interface Service {
  app: Hono;
  options: ServiceOptions;
  /** Absolute path of the data directory. */
  root: string;
  parts: ServiceParts;
  routes: RouteSpec<any, any, any>[];
  /** Jobs a previous service left running, now marked interrupted. */
  interrupted: string[];
  openapi(): Record<string, unknown>;
  /** Stops the job runner (running jobs become interrupted) and closes the database. */
  close(): Promise<void>;
}

/**
 * Builds the service over a data directory: the jobs database, the job runner, the prompt store,
 * uploads, the routes and the web page. Nothing listens yet (see {@link startService}).
 */
export async function createService(input: ServiceOptionsInput = {}, log: (line: string) => void = () => {}): Promise<Service> {
  const parsed = serviceOptionsSchema.safeParse(input);
  if (!parsed.success) throw new PandaError('CONFIG_INVALID', `invalid service options: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const options: ServiceOptions = { ...parsed.data, ...(parsed.data.token === undefined && process.env.PANDA_TOKEN ? { token: process.env.PANDA_TOKEN } : {}) };
  if (options.token !== undefined && options.token.length < 8) throw new PandaError('CONFIG_INVALID', 'the access token needs at least 8 characters');
  await initBackend(options.backend ? { backend: parseBackendName(options.backend) } : {});
  // The Hugging Face backbones, then the configured plugins; jobs load the same list in their process.
  await loadPlugins([import.meta.resolve('@panda/hf/plugin'), ...options.plugins]);

  const dir = new ServiceDir(options.dir);
  // One live service per data directory, taken before anything reads or marks its jobs.
  const lock = lockDir(dir.root);
  try {
    return await assembleService(options, dir, lock, log);
  } catch (err) {
    lock.release();
    throw err;
  }
}

async function assembleService(options: ServiceOptions, dir: ServiceDir, lock: DirLock, log: (line: string) => void): Promise<Service> {
  const store = new JobStore(dir.database);
  const datasets = new DatasetStore(dir);
  const bank = PromptBank.open(dir.bankDir);
  // Prediction runs in its own process (a forward pass would block this event loop), on the same backbone, plugins and backend as jobs.
  const inference = new InferenceClient({
    setup: () => ({ model: options.model, plugins: loadedPlugins().map((p) => p.url), capacity: options.promptCache, ...(options.backend ? { backend: options.backend } : {}) }),
    maxQueued: options.maxPredictQueue,
    log,
  });
  const prompts = new PromptStore(dir, inference, bank);
  const benchmarkData = resolveDataDir(options.dataDir);
  const taskOf = async (task: TuneJobRequest['task']): Promise<{ task: WorkerJob['task']; skipBadRows?: boolean }> => {
    if (typeof task === 'string') return { task };
    return {
      task: {
        name: task.name,
        files: { train: await datasets.file(task.train), dev: await datasets.file(task.dev), ...(task.test ? { test: await datasets.file(task.test) } : {}) },
        columns: { text: task.textColumn, label: task.labelColumn, ...(task.textBColumn ? { textB: task.textBColumn } : {}) },
        labels: task.labels,
      },
      skipBadRows: task.skipBadRows,
    };
  };
  /** The stored request of a job → what its worker runs (files resolved inside the data directory). */
  const queueRef = options.queue ? { queue: { url: options.queue, ...(options.queueName ? { queueName: options.queueName } : {}) } } : {};
  const resolve = async (job: JobRecord): Promise<WorkerJob> => {
    const outDir = dir.runDir(job.id);
    const base = { outDir, dataDir: benchmarkData, model: options.model, plugins: loadedPlugins().map((p) => p.url) };
    if (job.kind === 'transfer') {
      const r = job.request as TransferJobRequest;
      return { kind: 'transfer', ...base, ...queueRef, ...(await taskOf(r.task)), bankDir: dir.bankDir, ...(r.config ? { config: r.config } : {}), ...(r.transfer ? { transfer: r.transfer } : {}), ...(r.maxTestExamples ? { maxTestExamples: r.maxTestExamples } : {}) };
    }
    if (job.kind === 'retrieve') {
      const r = job.request as RetrieveJobRequest;
      return { kind: 'retrieve', ...base, ...(await taskOf(r.task)), bankDir: dir.bankDir, config: { ...(r.config ?? {}), epochs: r.probeEpochs }, k: r.k, ...(r.embedding ? { embedding: r.embedding } : {}) };
    }
    const r = job.request as TuneJobRequest;
    return {
      kind: 'tune',
      ...base,
      ...(await taskOf(r.task)),
      ...(r.config ? { config: r.config } : {}),
      checkpointEverySteps: options.checkpointEvery,
      ...(r.maxTestExamples ? { maxTestExamples: r.maxTestExamples } : {}),
      ...queueRef,
      ...(r.storeInBank ? { bank: { dir: dir.bankDir, id: r.bankId ?? `${typeof r.task === 'string' ? r.task : r.task.name}/${r.config?.method ?? 'prompt-tuning'}/${job.id}` } } : {}),
    };
  };
  const runner = new JobRunner(store, { maxJobs: options.maxJobs, maxQueued: options.maxQueued, cancelGraceSeconds: options.cancelGraceSeconds, paths: { root: dir.root, dataDir: benchmarkData }, resolve, log, ...(options.backend ? { backend: options.backend } : {}) });
  const parts: ServiceParts = { options, store, runner, prompts, datasets, bank, inference };
  const routes = [...apiRoutes(parts), ...bankRoutes(bank, prompts, dir, inference), ...runRoutes(parts, dir), ...gridRoutes(new GridFolders(dir, options.grids))];
  const openapi = () =>
    openApiDocument(routes, {
      title: 'panda service',
      version: SERVICE_VERSION,
      description: 'Tasks, uploaded datasets, training jobs with live progress, stored prompts and prediction over the panda packages.',
    });

  const app = new Hono();
  app.onError((err, c) => {
    const { status, body } = errorResponse(err);
    // An early 413 leaves the rest of the body unread: do not let the client reuse the connection.
    if (status === 413) c.header('Connection', 'close');
    if (status >= 500) log(`error ${c.req.method} ${c.req.path}: ${err instanceof Error ? (err.stack ?? err.message).slice(0, 2000) : String(err)}`);
    return c.json(body, status as 500);
  });
  app.notFound(() => {
    throw new ServiceError(404, 'NOT_FOUND', 'no such endpoint');
  });
  app.use('*', async (c, next) => {
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
  });
  app.use('*', originGuard(options));
  if (options.token) {
    const expected = createHash('sha256').update(options.token).digest();
    app.use('/api/*', async (c, next) => {
      if (c.req.path === '/api/health') return next();
      const header = c.req.header('authorization') ?? '';
      const given = header.startsWith('Bearer ') ? header.slice(7) : '';
      if (!given || !timingSafeEqual(createHash('sha256').update(given).digest(), expected)) {
        c.header('WWW-Authenticate', 'Bearer');
        throw new ServiceError(401, 'UNAUTHORIZED', 'this service needs an access token: send "Authorization: Bearer <token>"');
      }
      return next();
    });
  }
  app.get('/api/openapi.json', (c) => c.json(openapi()));
  for (const r of routes) register(app, r, options);
  for (const [path, { file, type }] of Object.entries(staticFiles())) {
    app.get(path, async (c) => {
      const body = await readFile(file);
      c.header('Content-Type', type);
      c.header('Cache-Control', 'no-cache');
      c.header('Content-Security-Policy', "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'");
      return c.body(body);
    });
  }

  const { interrupted } = runner.start();
  if (interrupted.length) log(`marked ${interrupted.length} job(s) interrupted: ${interrupted.join(', ')} (POST /api/jobs/<id>/resume continues them)`);

  return {
    app,
    options,
    root: dir.root,
    parts,
    routes,
    interrupted,
    openapi,
    async close() {
      try {
        await runner.close();
        await prompts.close();
        store.close();
        bank.close();
      } finally {
        lock.release();
      }
    },
  };
}

export interface RunningService extends Service {
  url: string;
  port: number;
  server: ServerType;
}

/** Why the service could not listen, as a typed error naming the address (not a stack). */
function listenError(err: unknown, { host, port }: ServiceOptions): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  const why: Record<string, string> = {
    EADDRINUSE: `port ${port} on ${host} is already in use: stop what listens there, or choose another --port (0 picks a free one)`,
    EACCES: `not allowed to listen on port ${port} on ${host} (ports below 1024 need privileges): choose another --port`,
    EADDRNOTAVAIL: `cannot listen on ${host} (port ${port}): the address is not one of this machine's`,
  };
  return code && why[code] ? new PandaError('CONFIG_INVALID', why[code], { cause: err, details: { host, port, code } }) : err;
}

/** Creates the service and listens on `host:port`; `close()` stops both. */
export async function startService(input: ServiceOptionsInput = {}, log: (line: string) => void = () => {}): Promise<RunningService> {
  const service = await createService(input, log);
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: service.app.fetch, port: service.options.port, hostname: service.options.host }, () => resolve(s));
    s.once('error', reject);
  }).catch(async (err: unknown) => {
    await service.close(); // the jobs stay as they were; the data directory is free again
    throw listenError(err, service.options);
  });
  const port = (server.address() as AddressInfo).port;
  const host = service.options.host.includes(':') ? `[${service.options.host}]` : service.options.host;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  return {
    ...service,
    url,
    port,
    server,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      await service.close();
    },
  };
}
