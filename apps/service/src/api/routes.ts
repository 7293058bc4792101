import { loadedPlugins } from '@panda/core/plugins';
import { z } from 'zod';
import { streamSSE } from 'hono/streaming';
import { allTasks, getTask } from '@panda/datasets';
import { currentBackend } from '@panda/runtime';
import { ServiceError } from '../errors/httpStatus.js';
import type { JobEvent, JobRunner } from '../jobs/jobRunner.js';
import { FINAL_STATUSES, type JobRecord, type JobStore } from '../jobs/jobStore.js';
import type { PromptStore } from '../inference/promptStore.js';
import type { InferenceClient } from '../inference/inferenceClient.js';
import { checkTuneConfig } from './submitChecks.js';
import type { DatasetStore } from '../storage/datasetStore.js';
import { previewDataset } from '../storage/datasetPreview.js';
import type { ServiceOptions } from '../config.js';
import type { PromptBank } from '@panda/bank';
import { route, type RouteSpec } from './route.js';
import {
  datasetInfoSchema,
  datasetPreviewSchema,
  healthSchema,
  previewQuerySchema,
  idParams,
  jobListQuerySchema,
  jobSchema,
  predictRequestSchema,
  predictResponseSchema,
  promptSummarySchema,
  retrieveJobRequestSchema,
  taskSummarySchema,
  transferJobRequestSchema,
  tuneJobRequestSchema,
  type TuneJobRequest,
  uploadQuerySchema,
} from './schemas.js';

export const SERVICE_VERSION = '0.1.0';

/** What the routes work on. */
export interface ServiceParts {
  options: ServiceOptions;
  store: JobStore;
  runner: JobRunner;
  prompts: PromptStore;
  datasets: DatasetStore;
  bank: PromptBank;
  /** The inference process (prediction; the backbone's limits for checks at submit). */
  inference?: InferenceClient;
}

/**
 * A job as the API shows it: the record plus the id of the prompt it wrote, once there is one (a
 * tuning or retrieval job's own run; a transfer job's student, stored in the bank).
 */
export function publicJob(job: JobRecord, prompts: PromptStore): z.infer<typeof jobSchema> {
  const student = (job.result as { student?: { bankId?: string } } | null)?.student?.bankId;
  return { ...job, promptId: student ?? (prompts.has(job.id) ? job.id : null) };
}

export function apiRoutes(parts: ServiceParts): RouteSpec<any, any, any>[] {
  const { options, store, runner, prompts, datasets, inference } = parts;
  /** Names and ids in a job request are checked now, so a bad request fails here and not later in the queue. */
  const checkTask = async (task: TuneJobRequest['task']): Promise<void> => {
    if (typeof task === 'string') {
      const t = getTask(task);
      if (t.type === 'regression') throw new ServiceError(400, 'BAD_REQUEST', `task '${t.name}' is a regression task; the service trains and serves classifiers (choice and span tasks as text pairs): tune it with the CLI or the library (panda tune --task ${t.name})`);
    } else {
      for (const id of [task.train, task.dev, ...(task.test ? [task.test] : [])]) await datasets.get(id);
    }
  };
  const job = (id: string): JobRecord => {
    const j = store.get(id);
    if (!j) throw new ServiceError(404, 'NOT_FOUND', `no job '${id}'`);
    return j;
  };

  return [
    route({
      method: 'get',
      path: '/api/health',
      operationId: 'health',
      summary: 'liveness, version, backend and job counts (no token needed)',
      tag: 'service',
      response: { description: 'the service is up', schema: healthSchema },
      handler: () => ({
        ok: true as const,
        version: SERVICE_VERSION,
        backend: currentBackend()?.name ?? null,
        model: options.model,
        plugins: loadedPlugins().map((p) => p.name),
        jobs: { running: runner.active, queued: store.count('queued'), maxJobs: options.maxJobs },
        features: { bank: true, retrieval: true, runs: true, grids: true },
      }),
    }),
    route({
      method: 'get',
      path: '/api/tasks',
      operationId: 'listTasks',
      summary: 'registered tasks: built-in ones and the benchmark tasks the data directory can hold',
      tag: 'tasks',
      response: { description: 'every registered task', schema: z.object({ tasks: z.array(taskSummarySchema) }) },
      handler: () => ({ tasks: allTasks().map(taskSummary) }),
    }),
    route({
      method: 'get',
      path: '/api/tasks/:name',
      operationId: 'getTask',
      summary: 'one registered task',
      tag: 'tasks',
      params: z.object({ name: z.string().min(1).max(64) }).strict(),
      response: { description: 'the task', schema: taskSummarySchema },
      errors: { 404: 'no such task' },
      handler: ({ params }) => taskSummary(getTask(params.name)),
    }),
    route({
      method: 'post',
      path: '/api/datasets',
      operationId: 'uploadDataset',
      summary: 'upload a CSV or TSV file with a header row (a target dataset for training)',
      description: 'The body is the file itself. The service stores it under its own id; the name is a label only.',
      tag: 'datasets',
      query: uploadQuerySchema,
      raw: { contentTypes: ['text/csv', 'text/tab-separated-values', 'text/plain'], description: 'the file: CSV (comma, quoted) or TSV (tab, unquoted), UTF-8, header row first' },
      status: 201,
      response: { description: 'the stored dataset', schema: datasetInfoSchema },
      handler: async ({ query, raw, c }) => {
        const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
        const format = query.format ?? (type === 'text/tab-separated-values' ? 'tsv' : 'csv');
        return datasets.add(raw!, { name: query.name, format });
      },
    }),
    route({
      method: 'get',
      path: '/api/datasets',
      operationId: 'listDatasets',
      summary: 'uploaded datasets',
      tag: 'datasets',
      response: { description: 'every upload, newest first', schema: z.object({ datasets: z.array(datasetInfoSchema) }) },
      handler: async () => ({ datasets: await datasets.list() }),
    }),
    route({
      method: 'get',
      path: '/api/datasets/:id',
      operationId: 'getDataset',
      summary: 'one uploaded dataset',
      tag: 'datasets',
      params: idParams,
      response: { description: 'the dataset', schema: datasetInfoSchema },
      errors: { 404: 'no such dataset' },
      handler: ({ params }) => datasets.get(params.id),
    }),
    route({
      method: 'get',
      path: '/api/datasets/:id/preview',
      operationId: 'previewDataset',
      summary: 'what an uploaded file holds: its columns, first rows, bad rows with their reasons, and candidate label values',
      description: 'With textColumn and labelColumn (and labels), every row is also read as a training job would read it, and the rows it would refuse are listed with the reason.',
      tag: 'datasets',
      params: idParams,
      query: previewQuerySchema,
      response: { description: 'the preview', schema: datasetPreviewSchema },
      errors: { 404: 'no such dataset' },
      handler: async ({ params, query }) => {
        const info = await datasets.get(params.id);
        const labels = query.labels?.split(',').map((l) => l.trim()).filter(Boolean);
        const columns = query.textColumn && query.labelColumn ? { text: query.textColumn, label: query.labelColumn, ...(query.textBColumn ? { textB: query.textBColumn } : {}) } : undefined;
        const preview = await previewDataset(await datasets.file(params.id), { format: info.format, name: info.name, rows: query.rows, ...(columns ? { columns } : {}), ...(labels?.length ? { labels } : {}) });
        return { dataset: info, ...preview };
      },
    }),
    route({
      method: 'post',
      path: '/api/jobs',
      operationId: 'createJob',
      summary: 'start a training job (prompt tuning and the other tuner methods) on a registered task or uploaded files',
      tag: 'jobs',
      body: tuneJobRequestSchema,
      status: 202,
      response: { description: 'the queued job', schema: jobSchema },
      errors: { 404: 'unknown task or dataset', 429: 'too many jobs waiting' },
      handler: async ({ body }) => {
        await checkTask(body.task);
        await checkTuneConfig(body.config, inference);
        return publicJob(runner.submit('tune', body), prompts);
      },
    }),
    route({
      method: 'post',
      path: '/api/transfer',
      operationId: 'createTransferJob',
      summary: 'start a PANDA transfer job: sources from the bank, prompt-transfer teacher(s), a distilled student stored in the bank',
      description: 'The job runs the transfer package\'s transferTask with the service\'s bank; its result names the sources (similarity, β), the teachers and the student (its bank id is the job\'s promptId). An interrupted transfer job starts over when resumed.',
      tag: 'jobs',
      body: transferJobRequestSchema,
      status: 202,
      response: { description: 'the queued job', schema: jobSchema },
      errors: { 404: 'unknown task or dataset', 429: 'too many jobs waiting' },
      handler: async ({ body }) => {
        await checkTask(body.task);
        await checkTuneConfig(body.config, inference);
        return publicJob(runner.submit('transfer', body), prompts);
      },
    }),
    route({
      method: 'post',
      path: '/api/retrieve',
      operationId: 'createRetrieveJob',
      summary: 'find the most transferable source prompts in the bank for a target task (for example an uploaded dataset)',
      description: "A job: a short prompt run on the target gives its prompt, the transfer package's task embedding of that prompt on the target's dev examples is compared with the bank's (cosine); the result lists the k nearest source prompts of the same method, best first.",
      tag: 'jobs',
      body: retrieveJobRequestSchema,
      status: 202,
      response: { description: 'the queued job', schema: jobSchema },
      errors: { 404: 'unknown task or dataset', 429: 'too many jobs waiting' },
      handler: async ({ body }) => {
        await checkTask(body.task);
        await checkTuneConfig(body.config, inference);
        return publicJob(runner.submit('retrieve', body), prompts);
      },
    }),
    route({
      method: 'get',
      path: '/api/jobs',
      operationId: 'listJobs',
      summary: 'jobs, newest first (at most 200)',
      tag: 'jobs',
      query: jobListQuerySchema,
      response: { description: 'the jobs', schema: z.object({ jobs: z.array(jobSchema) }) },
      handler: ({ query }) => ({ jobs: store.list(query.status ? { status: query.status } : {}).map((j) => publicJob({ ...j, progress: runner.progress(j.id) ?? j.progress }, prompts)) }),
    }),
    route({
      method: 'get',
      path: '/api/jobs/:id',
      operationId: 'getJob',
      summary: 'one job: status, progress (curve points included), result',
      tag: 'jobs',
      params: idParams,
      response: { description: 'the job', schema: jobSchema },
      errors: { 404: 'no such job' },
      handler: ({ params }) => {
        const j = job(params.id);
        return publicJob({ ...j, progress: runner.progress(j.id) ?? j.progress }, prompts);
      },
    }),
    route({
      method: 'get',
      path: '/api/jobs/:id/events',
      operationId: 'jobEvents',
      summary: 'live progress as server-sent events',
      description:
        'Events: `snapshot` (the job now, curve points included), then `progress` (a training event: start, step with loss, eval with dev accuracy, phase (examples scored in evaluate / test / features, the bank), log; with `state`: the current phase and every phase\'s progress and ETA), `status` (the job after a status change), and `end` when the job reaches a final status. A comment line every 15 s keeps idle connections open.',
      tag: 'jobs',
      params: idParams,
      response: { description: 'an event stream', contentType: 'text/event-stream' },
      errors: { 404: 'no such job' },
      handler: ({ params, c }) => {
        job(params.id);
        return streamSSE(c, async (stream) => {
          const queue: JobEvent[] = [];
          let wake: (() => void) | undefined;
          let closed = false;
          const unsubscribe = runner.subscribe(params.id, (e) => {
            queue.push(e);
            wake?.();
          });
          stream.onAbort(() => {
            closed = true;
            wake?.();
          });
          try {
            const now = job(params.id);
            await stream.writeSSE({ event: 'snapshot', data: JSON.stringify(publicJob({ ...now, progress: runner.progress(now.id) ?? now.progress }, prompts)) });
            let final = FINAL_STATUSES.includes(now.status);
            while (!closed && !final) {
              if (!queue.length) {
                await new Promise<void>((resolve) => {
                  wake = resolve;
                  setTimeout(resolve, 15_000).unref();
                });
                wake = undefined;
                if (!queue.length && !closed) await stream.write(': keep-alive\n\n');
              }
              for (const e of queue.splice(0)) {
                // The event, and where the job's phases stand after it (`state`: the current phase, each phase's progress and ETA).
                if (e.type === 'progress') await stream.writeSSE({ event: 'progress', data: JSON.stringify({ ...e.event, state: { phase: e.progress.phase, phases: e.progress.phases } }) });
                else {
                  await stream.writeSSE({ event: 'status', data: JSON.stringify(publicJob(e.job, prompts)) });
                  if (FINAL_STATUSES.includes(e.job.status)) final = true;
                }
              }
            }
            if (final && !closed) await stream.writeSSE({ event: 'end', data: JSON.stringify({ status: job(params.id).status }) });
          } finally {
            unsubscribe();
          }
        });
      },
    }),
    route({
      method: 'post',
      path: '/api/jobs/:id/cancel',
      operationId: 'cancelJob',
      summary: 'cancel a queued, running or interrupted job (a running one stops after its current step and keeps its best weights)',
      tag: 'jobs',
      params: idParams,
      response: { description: 'the job (a running one shows `cancelled` once it has stopped)', schema: jobSchema },
      errors: { 404: 'no such job', 409: 'the job already finished' },
      handler: ({ params }) => publicJob(runner.cancel(params.id), prompts),
    }),
    route({
      method: 'post',
      path: '/api/jobs/:id/resume',
      operationId: 'resumeJob',
      summary: 'queue an interrupted or cancelled job again; it continues from its last checkpoint',
      tag: 'jobs',
      params: idParams,
      status: 202,
      response: { description: 'the queued job', schema: jobSchema },
      errors: { 404: 'no such job', 409: 'the job is not interrupted or cancelled', 429: 'too many jobs waiting' },
      handler: ({ params }) => publicJob(runner.resume(params.id), prompts),
    }),
    route({
      method: 'get',
      path: '/api/prompts',
      operationId: 'listPrompts',
      summary: 'stored prompts (runs the jobs wrote), newest first, with their scores',
      tag: 'prompts',
      response: { description: 'the prompts', schema: z.object({ prompts: z.array(promptSummarySchema) }) },
      handler: async () => ({ prompts: await prompts.list() }),
    }),
    route({
      method: 'get',
      path: '/api/prompts/:id',
      operationId: 'getPrompt',
      summary: 'one stored prompt',
      tag: 'prompts',
      params: idParams,
      response: { description: 'the prompt', schema: promptSummarySchema },
      errors: { 404: 'no such prompt' },
      handler: ({ params }) => prompts.summary(params.id),
    }),
    route({
      method: 'post',
      path: '/api/predict',
      operationId: 'predict',
      summary: 'classify texts with stored prompts; one batch may mix prompts',
      description: `Items are grouped by prompt, each group runs in one pass, answers keep the request order. At most ${options.maxPredictItems} items. An unknown prompt id fails the whole batch with 404.`,
      tag: 'prompts',
      body: predictRequestSchema,
      response: { description: 'one prediction per item, in order', schema: predictResponseSchema },
      errors: { 404: 'unknown prompt id', 503: 'the prediction queue is full (maxPredictQueue requests in progress): retry after the Retry-After seconds' },
      handler: async ({ body, c }) => {
        if (body.items.length > options.maxPredictItems) {
          throw new ServiceError(400, 'BAD_REQUEST', `at most ${options.maxPredictItems} items per request (got ${body.items.length})`);
        }
        const t0 = performance.now();
        const predictions = await prompts.predict(body.items).catch((err: unknown) => {
          if (err instanceof ServiceError && err.code === 'SERVICE_BUSY') c.header('Retry-After', '1');
          throw err;
        });
        return { predictions, prompts: new Set(body.items.map((i) => i.promptId)).size, milliseconds: performance.now() - t0 };
      },
    }),
  ];
}

function taskSummary(t: ReturnType<typeof getTask>): z.infer<typeof taskSummarySchema> {
  return {
    name: t.name,
    description: t.description,
    type: t.type,
    labels: [...t.labels],
    metric: t.metric,
    builtin: t.builtin,
    benchmark: t.benchmark ?? null,
    splits: [...t.splits],
    trainable: t.type !== 'regression',
  };
}
