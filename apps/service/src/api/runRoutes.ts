import { join, relative } from 'node:path';
import type { z } from 'zod';
import { runConfigPathSync } from '@panda/tuner';
import { ServiceError } from '../errors/httpStatus.js';
import type { JobRecord } from '../jobs/jobStore.js';
import type { ServiceDir } from '../storage/serviceDir.js';
import { listRunFiles, readRunJson, runArchive } from '../storage/runFolder.js';
import { publicJob, type ServiceParts } from './routes.js';
import { route, type RouteSpec } from './route.js';
import { idParams, runSchema } from './schemas.js';

type Run = z.infer<typeof runSchema>;
type Source = Run['sources'][number];

/** What a job's result holds, as far as the run page reads it (tuning, transfer and retrieval jobs). */
interface ResultFields {
  config?: Record<string, unknown>;
  metrics?: Record<string, unknown>;
  /** transfer */
  metric?: string;
  sources?: Array<{ id: string; task: string; similarity: number; beta: number }>;
  ranking?: Array<{ id: string; task: string; similarity: number; beta: number }>;
  teachers?: Array<Record<string, unknown> & { dir?: string }>;
  student?: { devAccuracy: number; testAccuracy?: number };
  /** retrieval */
  probe?: { metric?: string; devScore?: number; devAccuracy?: number };
  hits?: Array<{ id: string; task: string; score: number; similarity?: number; beta?: number }>;
}

const resultOf = (job: JobRecord | undefined): ResultFields | undefined => (job?.result ?? undefined) as ResultFields | undefined;

/** The bank prompts behind a job's result: a transfer's ranking (chosen ones marked), a retrieval's hits. */
function sourcesOf(job: JobRecord | undefined): Source[] {
  const r = resultOf(job);
  if (!r) return [];
  if (job!.kind === 'transfer') {
    const chosen = new Set((r.sources ?? []).map((s) => s.id));
    return (r.ranking ?? r.sources ?? []).map((s) => ({ id: s.id, task: s.task, similarity: s.similarity, beta: s.beta ?? null, chosen: chosen.has(s.id) }));
  }
  if (job!.kind === 'retrieve') return (r.hits ?? []).map((h) => ({ id: h.id, task: h.task, similarity: h.similarity ?? h.score, beta: h.beta ?? null, chosen: false }));
  return [];
}

/** A run's metrics: a tuning job's own, a transfer's student's, a retrieval's probe run's, else the folder's. */
function metricsOf(job: JobRecord | undefined, adapter: Record<string, unknown> | undefined): Record<string, unknown> | null {
  const r = resultOf(job);
  if (r?.metrics) return r.metrics;
  if (r?.student) return { metric: r.metric, devScore: r.student.devAccuracy, ...(r.student.testAccuracy !== undefined ? { testScore: r.student.testAccuracy } : {}) };
  if (r?.probe) return { metric: r.probe.metric ?? 'accuracy', devScore: r.probe.devScore ?? r.probe.devAccuracy };
  return (adapter?.metrics as Record<string, unknown> | undefined) ?? null;
}

/** A run folder's page: what it is, how it was made, how it scored, where it came from, its files. */
async function runDetails(parts: ServiceParts, dir: ServiceDir, id: string): Promise<Run> {
  const job = parts.store.get(id);
  const folder = dir.runDir(id);
  const files = await listRunFiles(folder);
  if (!job && files.length === 0) throw new ServiceError(404, 'NOT_FOUND', `no run '${id}'`);
  // A transfer job's folder holds probe/, teacher-*/ and student/: its config is the student's.
  // The config is panda_adapter.json, or a panda 0.1 run's adapter_config.json (never a PEFT adapter's).
  const configFile = runConfigPathSync(folder) ?? runConfigPathSync(join(folder, 'student'));
  const adapter = configFile === undefined ? undefined : await readRunJson(folder, relative(folder, configFile));
  const result = resultOf(job);
  const request = job?.request as { task?: unknown; config?: Record<string, unknown> } | undefined;
  const config = result?.config ?? (adapter?.config as Record<string, unknown> | undefined) ?? request?.config ?? null;
  const task = typeof request?.task === 'string' ? request.task : ((request?.task as { name?: string } | undefined)?.name ?? (adapter?.task as string | undefined) ?? null);
  return {
    id,
    job: job ? publicJob({ ...job, progress: parts.runner.progress(id) ?? job.progress }, parts.prompts) : null,
    task,
    kind: job?.kind ?? null,
    config,
    metrics: metricsOf(job, adapter),
    sources: sourcesOf(job),
    teachers: job?.kind === 'transfer' ? (result?.teachers ?? []).map(({ dir: _d, ...t }) => t) : [],
    files,
    bytes: files.reduce((a, f) => a + f.bytes, 0),
  };
}

/** The run page's API: one run (a job's folder) and a download of its folder as a tar archive. */
export function runRoutes(parts: ServiceParts, dir: ServiceDir): RouteSpec<any, any, any>[] {
  return [
    route({
      method: 'get',
      path: '/api/runs/:id',
      operationId: 'getRun',
      summary: "one run: its job, config, metrics, the bank prompts it used (transfers) or found (retrieval), and its folder's files",
      tag: 'runs',
      params: idParams,
      response: { description: 'the run', schema: runSchema },
      errors: { 404: 'no such run' },
      handler: ({ params }) => runDetails(parts, dir, params.id),
    }),
    route({
      method: 'get',
      path: '/api/runs/:id/download',
      operationId: 'downloadRun',
      summary: "the run's folder as a tar archive (adapter, config, manifest, checkpoint; a transfer's probe, teachers and student)",
      description: 'Only regular files inside the folder are archived; symbolic links are left out. Entries are named `<id>/<path>`.',
      tag: 'runs',
      params: idParams,
      response: { description: 'a tar archive', contentType: 'application/x-tar' },
      errors: { 404: 'no such run, or its folder holds no files yet' },
      handler: async ({ params }) => {
        const folder = dir.runDir(params.id);
        const files = await listRunFiles(folder);
        if (files.length === 0) throw new ServiceError(404, 'NOT_FOUND', `run '${params.id}' has no files (yet)`);
        return new Response(runArchive(folder, files, params.id), {
          headers: { 'Content-Type': 'application/x-tar', 'Content-Disposition': `attachment; filename="${params.id}.tar"`, 'Cache-Control': 'no-store' },
        });
      },
    }),
  ];
}
