import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';

export const JOB_STATUSES = ['queued', 'running', 'done', 'failed', 'cancelled', 'interrupted'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
/** Statuses a job never leaves by itself (`interrupted` and `cancelled` can be resumed). */
export const FINAL_STATUSES: readonly JobStatus[] = ['done', 'failed', 'cancelled', 'interrupted'];

/** Progress through one phase of a run: `done` of `total` units, time spent, time left at the measured rate. */
export const phaseProgressSchema = z.object({
  name: z.string(),
  done: z.number(),
  total: z.number(),
  unit: z.string().describe("'steps' for training, else 'examples' (or 'prompts' for the bank)"),
  seconds: z.number().describe('seconds spent in this phase so far (all its passes)'),
  etaSeconds: z.number().nullable().describe('seconds left in the current pass at the measured rate (null before a rate is known)'),
});
export type PhaseProgress = z.infer<typeof phaseProgressSchema>;

/** One point of a training curve: the loss of one step, or a dev evaluation. */
export const jobProgressSchema = z.object({
  step: z.number().int().describe('optimiser steps done'),
  total: z.number().int().describe('optimiser steps the run will take (0 until training starts)'),
  loss: z.number().nullable().describe('loss of the last step'),
  stepsPerSecond: z.number().nullable(),
  /** [step, loss], thinned to at most 1000 points for long runs. */
  losses: z.array(z.tuple([z.number(), z.number()])).describe('[step, loss] pairs, thinned to at most 1000 points'),
  evals: z.array(z.object({ step: z.number(), epoch: z.number(), devAccuracy: z.number(), trainLoss: z.number().nullable() })).describe('dev evaluations'),
  message: z.string().nullable().describe('last log line of the job'),
  phase: z.string().nullable().describe("what the job does now: 'train' (optimiser steps), 'evaluate' (dev), 'test', 'features' (a linear probe's cached features), 'embedding' (a target's task embedding, in retrieval and transfer), 'bank' (storing the prompt with its task embedding); null before it starts"),
  phases: z.array(phaseProgressSchema).describe('every phase of the current run, in the order they began, each with its progress and ETA (a transfer job restarts the list for each of its runs)'),
});
export type JobProgress = z.infer<typeof jobProgressSchema>;

export const emptyProgress = (): JobProgress => ({ step: 0, total: 0, loss: null, stepsPerSecond: null, losses: [], evals: [], message: null, phase: null, phases: [] });

export interface JobRecord<Request = unknown, Result = unknown> {
  id: string;
  kind: string;
  status: JobStatus;
  request: Request;
  progress: JobProgress;
  result: Result | null;
  error: { code: string; message: string } | null;
  /** How many times the job has started (a resumed job starts again). */
  attempts: number;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

interface Row {
  id: string;
  kind: string;
  status: JobStatus;
  request: string;
  progress: string;
  result: string | null;
  error: string | null;
  attempts: number;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  finished_at: string | null;
}

const SCHEMA_VERSION = 1;

/**
 * Jobs in SQLite (better-sqlite3, WAL): one row per job with its request, status, progress
 * (curve points included) and result as JSON. Everything is written as it happens, so a restart
 * finds every job where it was.
 */
export class JobStore {
  readonly #db: Database.Database;

  constructor(file: string) {
    this.#db = new Database(file);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = NORMAL');
    this.#db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS jobs (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN (${JOB_STATUSES.map((s) => `'${s}'`).join(', ')})),
        request TEXT NOT NULL,
        progress TEXT NOT NULL,
        result TEXT,
        error TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT
      );
      CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status);
    `);
    this.#db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run('schemaVersion', String(SCHEMA_VERSION));
  }

  static newId(): string {
    return `job-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  }

  create<Req>(kind: string, request: Req): JobRecord<Req> {
    const now = new Date().toISOString();
    const id = JobStore.newId();
    this.#db
      .prepare('INSERT INTO jobs (id, kind, status, request, progress, attempts, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?)')
      .run(id, kind, 'queued', JSON.stringify(request), JSON.stringify(emptyProgress()), now, now);
    return this.get(id) as JobRecord<Req>;
  }

  get(id: string): JobRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  list(options: { status?: JobStatus; limit?: number } = {}): JobRecord[] {
    const limit = options.limit ?? 200;
    const rows = options.status
      ? (this.#db.prepare('SELECT * FROM jobs WHERE status = ? ORDER BY created_at DESC, id DESC LIMIT ?').all(options.status, limit) as Row[])
      : (this.#db.prepare('SELECT * FROM jobs ORDER BY created_at DESC, id DESC LIMIT ?').all(limit) as Row[]);
    return rows.map(fromRow);
  }

  count(status: JobStatus): number {
    return (this.#db.prepare('SELECT COUNT(*) AS n FROM jobs WHERE status = ?').get(status) as { n: number }).n;
  }

  /** Oldest queued jobs first. */
  queued(): JobRecord[] {
    return (this.#db.prepare("SELECT * FROM jobs WHERE status = 'queued' ORDER BY created_at, id").all() as Row[]).map(fromRow);
  }

  setStatus(id: string, status: JobStatus, extra: { result?: unknown; error?: { code: string; message: string } | null } = {}): void {
    const now = new Date().toISOString();
    const started = status === 'running';
    const finished = FINAL_STATUSES.includes(status);
    this.#db
      .prepare(
        `UPDATE jobs SET status = ?, updated_at = ?,
           attempts = attempts + ?,
           started_at = CASE WHEN ? THEN ? ELSE started_at END,
           finished_at = CASE WHEN ? THEN ? WHEN ? THEN NULL ELSE finished_at END,
           result = CASE WHEN ? THEN ? ELSE result END,
           error = CASE WHEN ? THEN ? ELSE error END
         WHERE id = ?`,
      )
      .run(
        status,
        now,
        started ? 1 : 0,
        started ? 1 : 0,
        now,
        finished ? 1 : 0,
        now,
        started || status === 'queued' ? 1 : 0,
        'result' in extra ? 1 : 0,
        extra.result === undefined ? null : JSON.stringify(extra.result),
        'error' in extra ? 1 : 0,
        extra.error ? JSON.stringify(extra.error) : null,
        id,
      );
  }

  setProgress(id: string, progress: JobProgress): void {
    this.#db.prepare('UPDATE jobs SET progress = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(progress), new Date().toISOString(), id);
  }

  /** At startup: jobs left `running` by a stopped or crashed service become `interrupted`. */
  markInterrupted(): string[] {
    const ids = (this.#db.prepare("SELECT id FROM jobs WHERE status = 'running'").all() as Array<{ id: string }>).map((r) => r.id);
    for (const id of ids) this.setStatus(id, 'interrupted', { error: { code: 'INTERRUPTED', message: 'the service stopped while the job ran; resume it to continue from its last checkpoint' } });
    return ids;
  }

  close(): void {
    this.#db.close();
  }
}

function fromRow(row: Row): JobRecord {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    request: JSON.parse(row.request),
    // Jobs stored before phases were tracked lack those fields.
    progress: { ...emptyProgress(), ...(JSON.parse(row.progress) as Partial<JobProgress>) },
    result: row.result ? JSON.parse(row.result) : null,
    error: row.error ? JSON.parse(row.error) : null,
    attempts: row.attempts,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}
