import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { z } from 'zod';
import { PandaError } from '@panda/core';
import type { TuneJob } from '@panda/tuner';
import { bundleBytes, packRun, runBundleSchema } from './runBundle.js';

/** Most bytes of data files and runs one job may carry (the default; workers may set their own). */
export const DEFAULT_MAX_JOB_BYTES = 32 * 1024 * 1024;

const SPLITS = ['train', 'dev', 'test'] as const;
const shippedFileSchema = z.object({ name: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'a plain file name'), data: z.string() }).strict();

/** A task the job carries: a built-in name (the worker reads its own data folder), or the user's files themselves. */
const wireTaskSchema = z.union([
  z.string().min(1),
  z
    .object({
      name: z.string().min(1),
      files: z.object(Object.fromEntries(SPLITS.map((s) => [s, shippedFileSchema.optional()])) as Record<(typeof SPLITS)[number], z.ZodOptional<typeof shippedFileSchema>>).strict(),
      columns: z.object({ text: z.union([z.string(), z.number()]), textB: z.union([z.string(), z.number()]).optional(), label: z.union([z.string(), z.number()]) }).strict(),
      labels: z.array(z.string()),
      header: z.boolean().optional(),
      format: z.enum(['csv', 'tsv', 'jsonl']).optional(),
    })
    .strict(),
]);

/**
 * A tuning job as it crosses the queue: plain JSON with no path in it. Source prompts and teachers
 * travel as run bundles (kilobytes), the user's data files as their bytes; the worker writes them
 * into the job's own folder. `strict` objects: a job naming a folder (outDir, dataDir, a run's dir)
 * is refused, so no job can point a worker at its files.
 */
export const wireJobSchema = z
  .object({
    version: z.literal(1),
    /** What the coordinator calls the job (a grid cell id): for logs only. */
    label: z.string().max(200),
    task: wireTaskSchema,
    config: z.record(z.string(), z.unknown()).optional(),
    maxTestExamples: z.number().int().positive().optional(),
    skipBadRows: z.boolean().optional(),
    checkpointEverySteps: z.number().int().positive().optional(),
    evaluateTest: z.boolean().optional(),
    model: z.string().min(1).optional(),
    distill: z.record(z.string(), z.unknown()).optional(),
    manifest: z.record(z.string(), z.unknown()).optional(),
    initFrom: z.array(z.object({ run: runBundleSchema, weight: z.number().optional() }).strict()).optional(),
    teachers: z.array(z.object({ run: runBundleSchema, beta: z.number(), name: z.string().optional() }).strict()).optional(),
    /** Send the trained run back (the coordinator asked for an output folder). */
    returnRun: z.boolean(),
  })
  .strict();
export type WireJob = z.infer<typeof wireJobSchema>;

/** Bytes a wire job carries in files and runs. */
export function wireJobBytes(job: WireJob): number {
  const task = typeof job.task === 'string' ? 0 : Object.values(job.task.files).reduce((n, f) => n + (f ? Math.floor((f.data.length * 3) / 4) : 0), 0);
  const runs = [...(job.initFrom ?? []), ...(job.teachers ?? [])].reduce((n, r) => n + bundleBytes(r.run), 0);
  return task + runs;
}

/**
 * The wire form of a local tuning job (on the coordinator): reads the source runs, teachers and data
 * files it names. `dataDir`, `overwrite` and `plugins` do not travel: a worker reads built-in tasks
 * from its own data folder and loads the plugins it was started with.
 */
export async function toWire(job: TuneJob, label: string, maxBytes = DEFAULT_MAX_JOB_BYTES): Promise<WireJob> {
  // The run's settings (config, caps, seed, distillation, model, manifest) travel as they are; the
  // fields that name folders or files are replaced by what they hold, or left behind.
  const { task, outDir, initFrom, teachers, dataDir: _dataDir, overwrite: _overwrite, plugins: _plugins, label: _label, ...settings } = job;
  const wire: WireJob = {
    ...(settings as Omit<WireJob, 'version' | 'label' | 'task' | 'returnRun'>),
    version: 1,
    label,
    task: typeof task === 'string' ? task : await shipFileTask(task, maxBytes),
    ...(initFrom?.length ? { initFrom: await Promise.all(initFrom.map(async (s) => ({ run: await packRun(s.dir), ...(s.weight !== undefined ? { weight: s.weight } : {}) }))) } : {}),
    ...(teachers?.length ? { teachers: await Promise.all(teachers.map(async (t) => ({ run: await packRun(t.dir), beta: t.beta, ...(t.name ? { name: t.name } : {}) }))) } : {}),
    returnRun: outDir !== undefined,
  };
  const bytes = wireJobBytes(wire);
  if (bytes > maxBytes) throw new PandaError('CONFIG_INVALID', `job ${label} carries ${bytes} bytes of data and runs, over the queue's limit of ${maxBytes} bytes`, { details: { bytes, maxBytes } });
  return wire;
}

async function shipFileTask(task: Exclude<TuneJob['task'], string>, maxBytes: number): Promise<Exclude<WireJob['task'], string>> {
  const files: Exclude<WireJob['task'], string>['files'] = {};
  for (const split of SPLITS) {
    const path = task.files[split];
    if (!path) continue;
    const size = (await stat(path)).size;
    if (size > maxBytes) throw new PandaError('CONFIG_INVALID', `${split} file ${basename(path)} is ${size} bytes, over the queue's limit of ${maxBytes} bytes per job`, { details: { bytes: size, maxBytes } });
    files[split] = { name: basename(path).replace(/[^A-Za-z0-9._-]/g, '_'), data: (await readFile(path)).toString('base64') };
  }
  return {
    name: task.name,
    files,
    columns: { ...task.columns },
    labels: [...task.labels],
    ...(task.header !== undefined ? { header: task.header } : {}),
    ...(task.format ? { format: task.format } : {}),
  };
}

/**
 * The job's id in the queue: a hash of its wire form, so the same job (same task, config, seed,
 * source prompts and teachers) is enqueued once however often a coordinator restarts, and a job
 * whose inputs changed is a new job.
 */
export function wireJobId(job: WireJob): string {
  return `panda-${createHash('sha256').update(JSON.stringify(job)).digest('hex').slice(0, 32)}`;
}
