import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PandaError } from '@panda/core';

/** One run of the grid. `id` is `<kind>/<target>` or `<kind>/<source>/<target>`. */
export interface CellRow {
  id: string;
  kind: string;
  source: string | null;
  target: string;
  status: 'done' | 'failed';
  dev: number | null;
  test: number | null;
  firstEpochDev: number | null;
  beta: number | null;
  seconds: number | null;
  error: string | null;
  result: unknown;
}

/** What the grid keeps per task: its embedding and activation rates (from its own prompt), and the prompt rows. */
export interface TaskRow {
  task: string;
  embedding: Float32Array;
  activationRate: Float32Array;
  /** Flat row-major prompt rows (soft prompt or deep prefix table) and their count. */
  prompt: Float32Array;
  promptRows: number;
}

/**
 * The grid's results in SQLite (`grid.sqlite` in the grid folder). A cell is written once, when its
 * run ends, inside one transaction: an interrupted grid keeps every finished run and reruns only
 * the runs that were in flight.
 */
export class GridStore {
  readonly db: Database.Database;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.db = new Database(join(dir, 'grid.sqlite'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS cells (
        id TEXT PRIMARY KEY, kind TEXT NOT NULL, source TEXT, target TEXT NOT NULL, status TEXT NOT NULL,
        dev REAL, test REAL, first_epoch_dev REAL, beta REAL, seconds REAL, error TEXT, result TEXT,
        runs INTEGER NOT NULL DEFAULT 1, updated_at TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS tasks (
        task TEXT PRIMARY KEY, embedding BLOB NOT NULL, activation BLOB NOT NULL, prompt BLOB NOT NULL, prompt_rows INTEGER NOT NULL);
    `);
  }

  /**
   * Binds the folder to the settings every run depends on (`runSettings`): a grid with other
   * settings in the same folder is refused, while sources, targets and methods may change between
   * invocations (a grid can be grown, or run a part at a time).
   */
  bindSpec(runSettings: Record<string, unknown>): void {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get('spec') as { value: string } | undefined;
    const json = JSON.stringify(runSettings);
    if (!row) {
      this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('spec', json);
      return;
    }
    const stored = JSON.parse(row.value) as Record<string, unknown>;
    const storedSettings = JSON.stringify(Object.fromEntries(Object.keys(runSettings).map((k) => [k, stored[k]])));
    if (storedSettings !== json) {
      throw new PandaError('CONFIG_INVALID', 'this grid folder holds runs made with other settings (tuning, seed, embedding, β or distillation); use another folder (or delete it to start over)', { details: { stored } });
    }
  }

  /** Records the latest full spec (sources, targets, methods included), for the report. */
  setLatestSpec(spec: Record<string, unknown>): void {
    this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run('latest', JSON.stringify(spec));
  }

  /**
   * The constant β of the ablation, fixed the first time it is needed: `compute` runs once, and a
   * grid grown later (more tasks) keeps the value its earlier cells used. Grids made before the
   * value was stored take it from their first constant-β cell.
   */
  constantBeta(compute: () => number): number {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get('constantBeta') as { value: string } | undefined;
    if (row) return Number(row.value);
    const earlier = this.db.prepare("SELECT beta FROM cells WHERE kind = 'panda-constant' AND beta IS NOT NULL ORDER BY updated_at LIMIT 1").get() as { beta: number } | undefined;
    const value = earlier ? earlier.beta : compute();
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('constantBeta', String(value));
    return value;
  }

  /**
   * A target's ranking of sources, fixed the first time `compute` gives one (undefined: not yet
   * known), so the cells chosen from it stay the same when the grid resumes or grows.
   */
  ranking(target: string, compute: () => string[] | undefined): string[] | undefined {
    const key = `ranking/${target}`;
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    if (row) return JSON.parse(row.value) as string[];
    const value = compute();
    if (value) this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run(key, JSON.stringify(value));
    return value;
  }

  done(id: string): boolean {
    return (this.db.prepare("SELECT 1 FROM cells WHERE id = ? AND status = 'done'").get(id) as unknown) !== undefined;
  }

  /** Records a finished run (a failed run is recorded too, and retried on the next resume). */
  put(row: CellRow): void {
    this.db
      .prepare(
        `INSERT INTO cells (id, kind, source, target, status, dev, test, first_epoch_dev, beta, seconds, error, result, updated_at)
         VALUES (@id, @kind, @source, @target, @status, @dev, @test, @firstEpochDev, @beta, @seconds, @error, @result, @updatedAt)
         ON CONFLICT(id) DO UPDATE SET status = excluded.status, dev = excluded.dev, test = excluded.test, first_epoch_dev = excluded.first_epoch_dev,
           beta = excluded.beta, seconds = excluded.seconds, error = excluded.error, result = excluded.result, runs = runs + 1, updated_at = excluded.updated_at`,
      )
      .run({ ...row, result: JSON.stringify(row.result ?? null), updatedAt: new Date().toISOString() });
  }

  cells(): Array<CellRow & { runs: number }> {
    const rows = this.db.prepare('SELECT * FROM cells ORDER BY id').all() as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      id: r.id as string,
      kind: r.kind as string,
      source: (r.source as string | null) ?? null,
      target: r.target as string,
      status: r.status as CellRow['status'],
      dev: r.dev as number | null,
      test: r.test as number | null,
      firstEpochDev: r.first_epoch_dev as number | null,
      beta: r.beta as number | null,
      seconds: r.seconds as number | null,
      error: r.error as string | null,
      result: JSON.parse((r.result as string) ?? 'null') as unknown,
      runs: r.runs as number,
    }));
  }

  putTask(row: TaskRow): void {
    const blob = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    this.db
      .prepare('INSERT OR REPLACE INTO tasks (task, embedding, activation, prompt, prompt_rows) VALUES (?, ?, ?, ?, ?)')
      .run(row.task, blob(row.embedding), blob(row.activationRate), blob(row.prompt), row.promptRows);
  }

  tasks(): Map<string, TaskRow> {
    const rows = this.db.prepare('SELECT * FROM tasks').all() as Array<{ task: string; embedding: Buffer; activation: Buffer; prompt: Buffer; prompt_rows: number }>;
    const f32 = (b: Buffer) => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    return new Map(rows.map((r) => [r.task, { task: r.task, embedding: f32(r.embedding), activationRate: f32(r.activation), prompt: f32(r.prompt), promptRows: r.prompt_rows }]));
  }

  close(): void {
    this.db.close();
  }
}
