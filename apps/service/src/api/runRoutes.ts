import type { z } from 'zod';
import { ServiceError } from '../errors/httpStatus.js';
import type { JobRecord } from '../jobs/jobStore.js';
import type { ServiceDir } from '../storage/serviceDir.js';
import { listRunFiles, readRunJson, runArchive } from '../storage/runFolder.js';
import { publicJob, type ServiceParts } from './routes.js';
import { route, type RouteSpec } from './route.js';
import { idParams, runSchema } from './schemas.js';

type Run = z.infer<typeof runSchema>;
type Source = Run['sources'][number];

/** The bank prompts behind a job's result: a transfer's ranking (chosen ones marked), a retrieval's hits. */
function sourcesOf(job: JobRecord | undefined): Source[] {
  const r = job?.result as Record<string, any> | null | undefined;
  if (!r) return [];
  if (job!.kind === 'transfer') {
    const chosen = new Set((r.sources ?? []).map((s: { id: string }) => s.id));
    const ranking: any[] = r.ranking ?? r.sources ?? [];
    return ranking.map((s) => ({ id: s.id, task: s.task, similarity: s.similarity, beta: s.beta ?? null, chosen: chosen.has(s.id) }));
  }
  if (job!.kind === 'retrieve') return (r.hits ?? []).map((h: any) => ({ id: h.id, task: h.task, similarity: h.similarity ?? h.score, beta: h.beta ?? null, chosen: false }));
  return [];
}

/** A run's metrics: a tuning job's own, or a transfer's student (its teachers beside it). */
function metricsOf(job: JobRecord | undefined, adapter: Record<string, unknown> | undefined): Record<string, unknown> | null {
  const r = job?.result as Record<string, any> | null | undefined;
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
  const own = files.some((f) => f.path === 'adapter_config.json') ? '' : files.some((f) => f.path === 'student/adapter_config.json') ? 'student/' : null;
  const adapter = own === null ? undefined : await readRunJson(folder, `${own}adapter_config.json`);
  const result = job?.result as Record<string, any> | null | undefined;
  const config = (result?.config as Record<string, unknown> | undefined) ?? (adapter?.config as Record<string, unknown> | undefined) ?? ((job?.request as any)?.config as Record<string, unknown> | undefined) ?? null;
  const request = job?.request as { task?: unknown } | undefined;
  const task = typeof request?.task === 'string' ? request.task : ((request?.task as { name?: string } | undefined)?.name ?? (adapter?.task as string | undefined) ?? null);
  return {
    id,
    job: job ? publicJob({ ...job, progress: parts.runner.progress(id) ?? job.progress }, parts.prompts) : null,
    task,
    kind: job?.kind ?? null,
    config,
    metrics: metricsOf(job, adapter),
    sources: sourcesOf(job),
    teachers: job?.kind === 'transfer' ? ((result?.teachers ?? []) as Array<Record<string, unknown>>).map(({ dir: _d, ...t }) => t) : [],
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
