// A job's own process (one per job): the service forks it, sends one `run` message, and hears
// progress events and exactly one result or error back. `cancel` stops training between steps
// (answered with `stopping` at once; the best weights so far are then saved); a lost parent ends
// the process.
import { basename } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { ProgressEvent } from '@panda/core';
import { initBackend, parseBackendName } from '@panda/runtime';
import { loadBackbone, type Backbone } from '@panda/backbones';
import { loadPlugins } from '@panda/core/plugins';
import { asTrainable, fileTask, getTask, type FileTaskOptions, type TaskDefinition } from '@panda/datasets';
import { PromptBank } from '@panda/bank';
import { tuneConfigSchema, tuneTask, type TuneConfigInput, type TuneJob, type TuneTaskResult } from '@panda/tuner';
import { queueRunner } from '@panda/queue';
import { addRunToBank, retrieveSources, transferTask, type TaskEmbeddingConfigInput, type TransferOptionsInput, type TransferRun } from '@panda/transfer';

/** A BullMQ queue on Redis whose `panda worker`s run a job's training. */
type QueueRef = { url: string; queueName?: string };

interface Common {
  /** A registered task name, or the user's files (paths already resolved inside the data directory). */
  task: string | (FileTaskOptions & { name: string });
  dataDir?: string;
  skipBadRows?: boolean;
  backend?: string;
  outDir: string;
  /** Backbone spec (`loadBackbone`): the service's `model`. */
  model?: string;
  /** Plugin module URLs loaded before the job (the service's). */
  plugins?: string[];
}

/** What the worker runs: a tuning run (optionally stored in the bank), PANDA transfer, or retrieval from the bank. */
export type WorkerJob =
  | (Common & { kind: 'tune'; config?: TuneConfigInput; maxTestExamples?: number; checkpointEverySteps?: number; bank?: { dir: string; id?: string }; /** Train on a queue's workers instead of here. */ queue?: QueueRef })
  | (Common & { kind: 'transfer'; bankDir: string; config?: Record<string, unknown>; transfer?: TransferOptionsInput; maxTestExamples?: number; /** Run the teachers and students on a queue's workers. */ queue?: QueueRef })
  | (Common & { kind: 'retrieve'; bankDir: string; config?: TuneConfigInput; k: number; embedding?: TaskEmbeddingConfigInput });

export type WorkerRequest = { type: 'run'; job: WorkerJob } | { type: 'cancel' };
export type WorkerReply =
  | { type: 'event'; event: ProgressEvent }
  /** The cancel was taken: training stops before its next step, then the best weights are saved. */
  | { type: 'stopping' }
  | { type: 'result'; result: unknown }
  | { type: 'error'; code: string; message: string };

const send = (m: WorkerReply): Promise<void> =>
  new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(m, undefined, {}, () => resolve());
  });
const controller = new AbortController();
let finished = false;

process.on('disconnect', () => process.exit(finished ? 0 : 1));
process.on('message', (msg: WorkerRequest) => {
  if (msg?.type === 'cancel' && !controller.signal.aborted) {
    controller.abort();
    void send({ type: 'stopping' });
  }
  if (msg?.type === 'run') void run(msg.job);
});

const onProgress = (event: ProgressEvent) => void send({ type: 'event', event });

async function run(job: WorkerJob): Promise<void> {
  let backbone: Backbone | undefined;
  try {
    await initBackend(job.backend ? { backend: parseBackendName(job.backend) } : {});
    if (job.plugins?.length) await loadPlugins(job.plugins);
    backbone = await loadBackbone(job.model);
    const task = typeof job.task === 'string' ? getTask(job.task) : fileTask(job.task);
    const common = { ...(job.dataDir ? { dataDir: job.dataDir } : {}), onProgress, signal: controller.signal, backbone };
    let result: unknown;
    if (job.kind === 'tune') result = await tune(job, task, backbone, common);
    else if (job.kind === 'transfer') {
      result = await transferTask({
        target: task,
        bankDir: job.bankDir,
        outDir: job.outDir,
        ...(job.config ? { config: job.config } : {}),
        ...(job.transfer ? { transfer: job.transfer } : {}),
        ...(job.maxTestExamples ? { maxTestExamples: job.maxTestExamples } : {}),
        ...(job.skipBadRows ? { skipBadRows: true } : {}),
        ...common,
        // The teachers and students train on the queue's workers; the probe and the bank stay here.
        ...(job.queue ? { runTune: (run: TransferRun) => runOnQueue(job.queue!, { ...run, task: job.task, label: `service job ${basename(job.outDir)}: ${basename(run.outDir)}`, ...(job.skipBadRows ? { skipBadRows: true } : {}), ...(job.model ? { model: job.model } : {}) } as TuneJob) } : {}),
      });
    } else result = await retrieve(job, task, common);
    await send({ type: 'result', result });
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown };
    await send({ type: 'error', code: typeof e.code === 'string' ? e.code : 'INTERNAL', message: typeof e.message === 'string' ? e.message.slice(0, 2000) : String(err).slice(0, 2000) });
  } finally {
    backbone?.dispose();
    // The reply has been handed to the IPC channel: leave (one job per process keeps memory flat).
    finished = true;
    process.disconnect?.();
  }
}

type CommonOptions = { dataDir?: string; onProgress: typeof onProgress; signal: AbortSignal; backbone: Backbone };

async function tune(job: Extract<WorkerJob, { kind: 'tune' }>, task: TaskDefinition, backbone: Backbone, common: CommonOptions) {
  const result = job.queue
    ? await tuneOnQueue(job, job.queue)
    : await tuneTask({
        task,
        ...common,
        outDir: job.outDir,
        ...(job.config ? { config: job.config } : {}),
        ...(job.maxTestExamples ? { maxTestExamples: job.maxTestExamples } : {}),
        ...(job.checkpointEverySteps ? { checkpointEverySteps: job.checkpointEverySteps } : {}),
        skipBadRows: job.skipBadRows ?? false,
      });
  const { trainIds: _ids, files: _files, ...rest } = result;
  if (!job.bank || controller.signal.aborted) return rest;
  // Train and store: the bank entry's task embedding is the transfer package's (the run's own prompt on the task's dev examples).
  onProgress({ type: 'log', message: 'storing the prompt in the bank with its task embedding' });
  onProgress({ type: 'phase', phase: 'bank', done: 0, total: 1, unit: 'prompts' });
  const bank = PromptBank.open(job.bank.dir);
  try {
    const entry = await addRunToBank({ bank, backbone, runDir: job.outDir, task, ...(job.bank.id ? { id: job.bank.id } : {}), ...(common.dataDir ? { dataDir: common.dataDir } : {}) });
    onProgress({ type: 'phase', phase: 'bank', done: 1, total: 1, unit: 'prompts' });
    return { ...rest, bankId: entry.id };
  } finally {
    bank.close();
  }
}

/**
 * The tuning run of a job on a queue's `panda worker`s (the service's `queue` option): the run's
 * files come back into the job's folder, its progress (steps, evaluations, phases) into the job's,
 * and a cancel stops the run on its worker, which then returns its best weights. What follows the
 * run (the bank) still happens here: workers never write the service's stores.
 */
async function tuneOnQueue(job: Extract<WorkerJob, { kind: 'tune' }>, queue: QueueRef): Promise<TuneTaskResult> {
  return runOnQueue(queue, {
    task: job.task,
    outDir: job.outDir,
    label: `service job ${basename(job.outDir)}`,
    ...(job.config ? { config: job.config } : {}),
    ...(job.maxTestExamples ? { maxTestExamples: job.maxTestExamples } : {}),
    ...(job.checkpointEverySteps ? { checkpointEverySteps: job.checkpointEverySteps } : {}),
    ...(job.skipBadRows ? { skipBadRows: true } : {}),
    ...(job.model ? { model: job.model } : {}),
  });
}

/** One tuning run on the queue: progress to this job's, the stop signal to the worker, the run back into its folder. */
async function runOnQueue(queue: QueueRef, tuneJob: TuneJob): Promise<TuneTaskResult> {
  onProgress({ type: 'log', message: 'waiting for a panda worker on the queue' });
  const runner = queueRunner({ url: queue.url, ...(queue.queueName ? { queueName: queue.queueName } : {}), pollSeconds: 1, onLog: (message) => onProgress({ type: 'log', message }) });
  const [outcome] = await runner([tuneJob], { onEvent: (_i, event) => onProgress(event), signal: controller.signal });
  if (!outcome!.ok) throw outcome!.error;
  return outcome!.value;
}

/**
 * Retrieval for a target task, as `panda bank search --train` does it (the transfer package's
 * `retrieveSources`): a short prompt run on the target gives its prompt, hence its task embedding;
 * the bank returns the k nearest source prompts of the same model and method, with cosine and β.
 */
async function retrieve(job: Extract<WorkerJob, { kind: 'retrieve' }>, task: TaskDefinition, common: CommonOptions) {
  const config = tuneConfigSchema.parse({ method: 'prompt-tuning', epochs: 1, ...(job.config ?? {}) });
  const bank = PromptBank.open(job.bankDir);
  try {
    const found = await retrieveSources({
      task: asTrainable(task),
      bank,
      outDir: job.outDir,
      config,
      k: job.k,
      rankingSize: job.k,
      probeEpochs: config.epochs,
      ...(job.embedding ? { embedding: job.embedding } : {}),
      ...(job.skipBadRows ? { skipBadRows: true } : {}),
      ...common,
    });
    return {
      target: task.name,
      method: config.method,
      probe: { devAccuracy: found.probe.metrics.devAccuracy, devScore: found.probe.metrics.devScore, metric: found.probe.metrics.metric, steps: found.probe.steps },
      hits: found.ranking.map((h) => ({ id: h.id, task: h.task, method: config.method, score: h.similarity, similarity: h.similarity, beta: h.beta, metrics: bank.get(h.id).metrics ?? null })),
    };
  } finally {
    bank.close();
  }
}
