import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TuneJob } from '@panda/tuner';
import { unpackRun, type RunBundle } from '../wire/runBundle.js';
import type { WireJob } from '../wire/wireJob.js';

/**
 * Writes what a wire job carries into its own folder and returns the local tuning job that reads
 * only from there: `init-<i>/` and `teacher-<i>/` (runs), `data/` (the user's files), `out/` (the
 * trained run and its checkpoints, when the coordinator wants the run back). A job retried on the
 * same worker finds its `out/` checkpoint and resumes from it.
 */
export async function materialize(job: WireJob, jobDir: string, dataDir: string | undefined): Promise<TuneJob> {
  await mkdir(jobDir, { recursive: true });
  let task: TuneJob['task'];
  if (typeof job.task === 'string') {
    task = job.task;
  } else {
    const files: Partial<Record<'train' | 'dev' | 'test', string>> = {};
    for (const [split, f] of Object.entries(job.task.files)) {
      if (!f) continue;
      const path = join(jobDir, 'data', `${split}-${f.name}`);
      await mkdir(join(jobDir, 'data'), { recursive: true });
      await writeFile(path, Buffer.from(f.data, 'base64'));
      files[split as 'train'] = path;
    }
    task = { name: job.task.name, files, columns: job.task.columns, labels: job.task.labels, ...(job.task.header !== undefined ? { header: job.task.header } : {}), ...(job.task.format ? { format: job.task.format } : {}) };
  }
  const initFrom = job.initFrom ? await Promise.all(job.initFrom.map(async (s, i) => ({ dir: await unpackDir(s.run, join(jobDir, `init-${i}`)), ...(s.weight !== undefined ? { weight: s.weight } : {}) }))) : undefined;
  const teachers = job.teachers ? await Promise.all(job.teachers.map(async (t, i) => ({ dir: await unpackDir(t.run, join(jobDir, `teacher-${i}`)), beta: t.beta, ...(t.name ? { name: t.name } : {}) }))) : undefined;
  // The run's settings come as the coordinator sent them; folders are this job's own.
  const { version: _version, label: _label, task: _task, initFrom: _initFrom, teachers: _teachers, returnRun, ...settings } = job;
  return {
    ...(settings as Omit<TuneJob, 'task'>),
    task,
    ...(returnRun ? { outDir: join(jobDir, 'out') } : {}),
    ...(dataDir ? { dataDir } : {}),
    ...(initFrom ? { initFrom } : {}),
    ...(teachers ? { teachers } : {}),
  };
}

async function unpackDir(run: RunBundle, dir: string): Promise<string> {
  await unpackRun(run, dir);
  return dir;
}
