import { existsSync, linkSync, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { PandaError } from '@panda/core';

/**
 * The bank's source of truth: one SQLite file (WAL, synchronous=FULL, busy timeout, 16 KiB pages), shared safely
 * by several processes. Tables:
 *
 *   models           one row per backbone: its embedding width, fixed by the first entry while
 *                    the model has entries (the next entry after the last one is removed sets it anew)
 *   entries          one row per live entry; `label` (INTEGER PRIMARY KEY AUTOINCREMENT) is the
 *                    number the HNSW index knows it by. AUTOINCREMENT never reuses a label, and
 *                    because writers are serialised, labels are handed out in commit order: a
 *                    reader that has seen every label ≤ L finds all later ones with `label > L`.
 *   removals         an append-only log (seq AUTOINCREMENT) of removed labels, so an index that has
 *                    applied every removal up to seq R catches up with `seq > R`.
 *   index_snapshots  per model, the index file last saved and the two high-water marks it reflects
 *                    (entries_mark: the entries sequence, removals_mark: the removals sequence).
 *
 * Every method is synchronous; multi-statement writes go through `write()` (BEGIN IMMEDIATE, so the
 * write lock is taken up front and two processes never deadlock on a lock upgrade), and consistent
 * multi-statement reads through `read()` (one WAL snapshot).
 */

export const SCHEMA_VERSION = 1;

export interface ModelRow {
  model_id: number;
  name: string;
  dim: number;
}

export interface EntryRow {
  label: number;
  id: string;
  task: string;
  model_id: number;
  model: string;
  dim: number;
  method: string;
  embedding: Buffer;
  adapter_path: string | null;
  manifest: string | null;
  metrics: string | null;
  created_at: string;
}

export interface SnapshotRow {
  model_id: number;
  file: string;
  entries_mark: number;
  removals_mark: number;
}

/** The two sequences that order every change: an index that has seen both values is up to date. */
export interface Marks {
  entries: number;
  removals: number;
}

export interface NewEntryRow {
  id: string;
  task: string;
  modelId: number;
  method: string;
  embedding: Buffer;
  adapterPath: string | null;
  manifest: string | null;
  metrics: string | null;
  createdAt: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS models (
  model_id   INTEGER PRIMARY KEY AUTOINCREMENT,
  name       TEXT NOT NULL UNIQUE,
  dim        INTEGER NOT NULL CHECK (dim > 0),
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS entries (
  label        INTEGER PRIMARY KEY AUTOINCREMENT,
  id           TEXT NOT NULL UNIQUE,
  task         TEXT NOT NULL,
  model_id     INTEGER NOT NULL REFERENCES models(model_id),
  method       TEXT NOT NULL,
  embedding    BLOB NOT NULL,
  adapter_path TEXT,
  manifest     TEXT,
  metrics      TEXT,
  created_at   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_model_label ON entries(model_id, label);
CREATE INDEX IF NOT EXISTS entries_task ON entries(task);
CREATE INDEX IF NOT EXISTS entries_model_task ON entries(model_id, task);
CREATE INDEX IF NOT EXISTS entries_model_method ON entries(model_id, method);
CREATE TABLE IF NOT EXISTS removals (
  seq      INTEGER PRIMARY KEY AUTOINCREMENT,
  model_id INTEGER NOT NULL,
  label    INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS removals_model_seq ON removals(model_id, seq);
CREATE TABLE IF NOT EXISTS index_snapshots (
  model_id      INTEGER PRIMARY KEY,
  file          TEXT NOT NULL,
  entries_mark  INTEGER NOT NULL,
  removals_mark INTEGER NOT NULL,
  saved_at      TEXT NOT NULL
);
`;

const ENTRY_COLUMNS = `e.label, e.id, e.task, e.model_id, m.name AS model, m.dim, e.method, e.embedding, e.adapter_path, e.manifest, e.metrics, e.created_at`;

export class SqliteStore {
  readonly db: Database.Database;
  readonly #stmts: ReturnType<typeof prepare>;

  private constructor(db: Database.Database) {
    this.db = db;
    this.#stmts = prepare(db);
  }

  /**
   * Opens (creating if needed) the database at `file`. BANK_CORRUPT when it is not a bank, a 0-byte
   * file included: a new bank is built under a temporary name and linked into place complete, so
   * an empty file is never a bank being created but a damaged (truncated) one.
   */
  static open(file: string, busyTimeoutMs: number): SqliteStore {
    removeStaleCreations(file);
    if (!existsSync(file)) SqliteStore.#createAtomically(file, busyTimeoutMs);
    if (existsSync(file) && statSync(file).size === 0) {
      throw new PandaError('BANK_CORRUPT', `bank database ${file} is an empty (0-byte) file: it was truncated or damaged, not created by @panda/bank; restore it from a backup, or delete it to start an empty bank`, {
        details: { file, bytes: 0 },
      });
    }
    return SqliteStore.#openFile(file, busyTimeoutMs);
  }

  /**
   * Builds a new, empty bank database under a temporary name beside `file` and hard-links it into
   * place (no overwrite: when another process got there first, its database is kept). A crash
   * leaves at most the temporary file. Where hard links are not supported the caller creates the
   * database in place.
   */
  static #createAtomically(file: string, busyTimeoutMs: number): void {
    const tmp = `${file}.new-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      SqliteStore.#openFile(tmp, busyTimeoutMs).close();
      try {
        linkSync(tmp, file);
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code !== 'EEXIST' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV' && code !== 'ENOSYS') throw err;
      }
    } finally {
      for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`, `${tmp}-journal`]) rmSync(f, { force: true });
    }
  }

  static #openFile(file: string, busyTimeoutMs: number): SqliteStore {
    let db: Database.Database | undefined;
    try {
      db = new Database(file, { timeout: busyTimeoutMs });
      // 16 KiB pages: an entry row is about dim·4 bytes (2 KiB at 512-d), and at SQLite's default
      // 4 KiB only one such row fits a page (half the file would be slack). Takes effect only when
      // the database is created (before WAL is switched on); existing banks keep their page size.
      db.pragma('page_size = 16384');
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) {
        throw new PandaError('BANK_CORRUPT', `bank database ${file} has schema version ${version}; this version of @panda/bank reads up to ${SCHEMA_VERSION}`, {
          details: { file, version },
        });
      }
      if (version < SCHEMA_VERSION) {
        const d = db;
        d.transaction(() => {
          d.exec(SCHEMA);
          d.pragma(`user_version = ${SCHEMA_VERSION}`);
        }).immediate();
      }
      return new SqliteStore(db);
    } catch (err) {
      db?.close();
      if (err instanceof PandaError) throw err;
      const code = (err as { code?: string }).code ?? '';
      if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
        throw new PandaError('BANK_CORRUPT', `${file} is not a readable bank database (${code})`, { cause: err, details: { file, code } });
      }
      throw err;
    }
  }

  close(): void {
    this.db.close();
  }

  /** Runs `fn` in one write transaction (BEGIN IMMEDIATE); rolls back if it throws. */
  write<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** Runs `fn` against one consistent snapshot (nested calls join the outer transaction). */
  read<T>(fn: () => T): T {
    if (this.db.inTransaction) return fn();
    return this.db.transaction(fn).deferred();
  }

  marks(): Marks {
    const rows = this.#stmts.marks.all() as Array<{ name: string; seq: number }>;
    const m: Marks = { entries: 0, removals: 0 };
    for (const r of rows) {
      if (r.name === 'entries') m.entries = r.seq;
      else if (r.name === 'removals') m.removals = r.seq;
    }
    return m;
  }

  model(name: string): ModelRow | undefined {
    return this.#stmts.modelByName.get(name) as ModelRow | undefined;
  }

  modelById(modelId: number): ModelRow | undefined {
    return this.#stmts.modelById.get(modelId) as ModelRow | undefined;
  }

  /** Every model with its number of live entries (models whose entries were all removed included, count 0). */
  models(): Array<ModelRow & { count: number }> {
    return this.#stmts.models.all() as Array<ModelRow & { count: number }>;
  }

  /** Registers `name` with width `dim` unless present; returns the row (its dim may differ from `dim`). Call inside `write()`. */
  ensureModel(name: string, dim: number, now: string): ModelRow {
    this.#stmts.insertModel.run(name, dim, now);
    return this.model(name)!;
  }

  /**
   * Gives a model that has no entries a new width and drops its index pointer (an index of the old
   * width is of no use); returns the dropped index file name, for the caller to delete after the
   * commit. Call inside `write()`.
   */
  resetModelDim(modelId: number, dim: number): string | null {
    if (this.hasEntries(modelId)) throw new PandaError('INTERNAL', `model ${modelId} still has entries; its width cannot change`);
    const snap = this.snapshot(modelId);
    this.#stmts.setModelDim.run(dim, modelId);
    this.#stmts.deleteSnapshot.run(modelId);
    return snap?.file ?? null;
  }

  entry(id: string): EntryRow | undefined {
    return this.#stmts.entryById.get(id) as EntryRow | undefined;
  }

  hasEntry(id: string): boolean {
    return this.#stmts.hasEntry.get(id) !== undefined;
  }

  /** Inserts a row; returns its label. Call inside `write()`. */
  insertEntry(row: NewEntryRow): number {
    const info = this.#stmts.insertEntry.run(row.id, row.task, row.modelId, row.method, row.embedding, row.adapterPath, row.manifest, row.metrics, row.createdAt);
    return Number(info.lastInsertRowid);
  }

  /** Deletes the row with `label` and logs the removal. Call inside `write()`. */
  deleteEntry(label: number, modelId: number): void {
    this.#stmts.deleteEntry.run(label);
    this.#stmts.logRemoval.run(modelId, label);
  }

  list(filter: { task?: string; model?: string; method?: string }): EntryRow[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.task !== undefined) (where.push('e.task = ?'), params.push(filter.task));
    if (filter.model !== undefined) (where.push('m.name = ?'), params.push(filter.model));
    if (filter.method !== undefined) (where.push('e.method = ?'), params.push(filter.method));
    const sql = `SELECT ${ENTRY_COLUMNS} FROM entries e JOIN models m USING (model_id) ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY e.label`;
    return this.db.prepare(sql).all(...params) as EntryRow[];
  }

  count(modelId?: number): number {
    const r = (modelId === undefined ? this.#stmts.countAll.get() : this.#stmts.countModel.get(modelId)) as { n: number };
    return r.n;
  }

  tasks(modelId?: number): string[] {
    const rows = (modelId === undefined ? this.#stmts.tasksAll.all() : this.#stmts.tasksModel.all(modelId)) as Array<{ task: string }>;
    return rows.map((r) => r.task);
  }

  /** Rows by label, in no particular order. */
  entriesByLabels(labels: readonly number[]): EntryRow[] {
    if (labels.length === 0) return [];
    return this.#stmts.entriesByLabels.all(JSON.stringify(labels)) as EntryRow[];
  }

  /** (label, embedding) of the model's live entries with label > `after`, ascending. */
  embeddingsAfter(modelId: number, after: number): Array<{ label: number; embedding: Buffer }> {
    return this.#stmts.embeddingsAfter.all(modelId, after) as Array<{ label: number; embedding: Buffer }>;
  }

  /** (label, embedding) of the given labels that are live entries of the model. */
  embeddingsOf(modelId: number, labels: readonly number[]): Array<{ label: number; embedding: Buffer }> {
    if (labels.length === 0) return [];
    return this.#stmts.embeddingsOf.all(modelId, JSON.stringify(labels)) as Array<{ label: number; embedding: Buffer }>;
  }

  /** Every live label of the model. */
  labels(modelId: number): number[] {
    return (this.#stmts.labels.pluck().all(modelId) as number[]);
  }

  /** Labels of the model removed with seq in (`after`, `upTo`]. */
  removedBetween(modelId: number, after: number, upTo: number): number[] {
    return this.#stmts.removedBetween.pluck().all(modelId, after, upTo) as number[];
  }

  /** True when the model has at least one live entry (O(1)). */
  hasEntries(modelId: number): boolean {
    return this.#stmts.anyOfModel.get(modelId) !== undefined;
  }

  /**
   * The labels a query's filters decide on: with `method`, the labels that pass (method matches,
   * task not excluded); otherwise the labels that fail (task excluded). Uses the (model_id, method)
   * and (model_id, task) indexes, so the cost is proportional to the returned set.
   */
  filterLabels(modelId: number, filter: { excludeTasks?: readonly string[]; method?: string }): { kind: 'allow' | 'block'; labels: number[] } {
    const tasks = JSON.stringify(filter.excludeTasks ?? []);
    if (filter.method !== undefined) return { kind: 'allow', labels: this.#stmts.allowByMethod.pluck().all(modelId, filter.method, tasks) as number[] };
    return { kind: 'block', labels: this.#stmts.blockByTask.pluck().all(modelId, tasks) as number[] };
  }

  /** (label, embedding) of the model's entries that pass a query's filters, for exact search. */
  filteredEmbeddings(modelId: number, filter: { excludeTasks?: readonly string[]; method?: string }): Array<{ label: number; embedding: Buffer }> {
    const tasks = JSON.stringify(filter.excludeTasks ?? []);
    if (filter.method !== undefined) return this.#stmts.embeddingsByMethod.all(modelId, filter.method, tasks) as Array<{ label: number; embedding: Buffer }>;
    return this.#stmts.embeddingsNotTasks.all(modelId, tasks) as Array<{ label: number; embedding: Buffer }>;
  }

  snapshot(modelId: number): SnapshotRow | undefined {
    return this.#stmts.snapshot.get(modelId) as SnapshotRow | undefined;
  }

  snapshots(): SnapshotRow[] {
    return this.#stmts.snapshots.all() as SnapshotRow[];
  }

  /**
   * Points the model's snapshot at `file` unless the recorded one is newer (has seen more of either
   * sequence). Returns the file it replaced (to delete), `file` itself when it lost (to delete), or
   * null. Call inside `write()`.
   */
  putSnapshot(modelId: number, file: string, marks: Marks, now: string): { replaced: string | null; rejected: boolean } {
    const current = this.snapshot(modelId);
    if (current && (current.entries_mark > marks.entries || current.removals_mark > marks.removals)) return { replaced: null, rejected: true };
    this.#stmts.putSnapshot.run(modelId, file, marks.entries, marks.removals, now);
    return { replaced: current && current.file !== file ? current.file : null, rejected: false };
  }

  adapterPaths(): Set<string> {
    return new Set(this.#stmts.adapterPaths.pluck().all() as string[]);
  }
}

function prepare(db: Database.Database) {
  return {
    marks: db.prepare(`SELECT name, seq FROM sqlite_sequence WHERE name IN ('entries', 'removals')`),
    modelByName: db.prepare(`SELECT model_id, name, dim FROM models WHERE name = ?`),
    modelById: db.prepare(`SELECT model_id, name, dim FROM models WHERE model_id = ?`),
    models: db.prepare(
      `SELECT m.model_id, m.name, m.dim, (SELECT count(*) FROM entries e WHERE e.model_id = m.model_id) AS count FROM models m ORDER BY m.name`,
    ),
    insertModel: db.prepare(`INSERT INTO models (name, dim, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING`),
    setModelDim: db.prepare(`UPDATE models SET dim = ? WHERE model_id = ?`),
    deleteSnapshot: db.prepare(`DELETE FROM index_snapshots WHERE model_id = ?`),
    entryById: db.prepare(`SELECT ${ENTRY_COLUMNS} FROM entries e JOIN models m USING (model_id) WHERE e.id = ?`),
    hasEntry: db.prepare(`SELECT 1 FROM entries WHERE id = ?`),
    insertEntry: db.prepare(
      `INSERT INTO entries (id, task, model_id, method, embedding, adapter_path, manifest, metrics, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    deleteEntry: db.prepare(`DELETE FROM entries WHERE label = ?`),
    logRemoval: db.prepare(`INSERT INTO removals (model_id, label) VALUES (?, ?)`),
    countAll: db.prepare(`SELECT count(*) AS n FROM entries`),
    countModel: db.prepare(`SELECT count(*) AS n FROM entries WHERE model_id = ?`),
    tasksAll: db.prepare(`SELECT DISTINCT task FROM entries ORDER BY task`),
    tasksModel: db.prepare(`SELECT DISTINCT task FROM entries WHERE model_id = ? ORDER BY task`),
    entriesByLabels: db.prepare(`SELECT ${ENTRY_COLUMNS} FROM entries e JOIN models m USING (model_id) WHERE e.label IN (SELECT value FROM json_each(?))`),
    embeddingsAfter: db.prepare(`SELECT label, embedding FROM entries WHERE model_id = ? AND label > ? ORDER BY label`),
    embeddingsOf: db.prepare(`SELECT label, embedding FROM entries WHERE model_id = ? AND label IN (SELECT value FROM json_each(?)) ORDER BY label`),
    labels: db.prepare(`SELECT label FROM entries WHERE model_id = ? ORDER BY label`),
    removedBetween: db.prepare(`SELECT label FROM removals WHERE model_id = ? AND seq > ? AND seq <= ? ORDER BY seq`),
    anyOfModel: db.prepare(`SELECT 1 FROM entries WHERE model_id = ? LIMIT 1`),
    allowByMethod: db.prepare(`SELECT label FROM entries WHERE model_id = ? AND method = ? AND task NOT IN (SELECT value FROM json_each(?))`),
    blockByTask: db.prepare(`SELECT label FROM entries WHERE model_id = ? AND task IN (SELECT value FROM json_each(?))`),
    embeddingsByMethod: db.prepare(
      `SELECT label, embedding FROM entries WHERE model_id = ? AND method = ? AND task NOT IN (SELECT value FROM json_each(?)) ORDER BY label`,
    ),
    embeddingsNotTasks: db.prepare(`SELECT label, embedding FROM entries WHERE model_id = ? AND task NOT IN (SELECT value FROM json_each(?)) ORDER BY label`),
    snapshot: db.prepare(`SELECT model_id, file, entries_mark, removals_mark FROM index_snapshots WHERE model_id = ?`),
    snapshots: db.prepare(`SELECT model_id, file, entries_mark, removals_mark FROM index_snapshots`),
    putSnapshot: db.prepare(
      `INSERT INTO index_snapshots (model_id, file, entries_mark, removals_mark, saved_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (model_id) DO UPDATE SET file = excluded.file, entries_mark = excluded.entries_mark, removals_mark = excluded.removals_mark, saved_at = excluded.saved_at`,
    ),
    adapterPaths: db.prepare(`SELECT adapter_path FROM entries WHERE adapter_path IS NOT NULL`),
  };
}

/**
 * Removes what a creation that crashed left beside `file` (`<file>.new-<pid>-<hex>` and its WAL
 * files) when that process is gone; a creation still running in a live process is left alone.
 */
export function removeStaleCreations(file: string): string[] {
  const dir = dirname(file);
  const prefix = `${basename(file)}.new-`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (Number.isInteger(pid) && pid > 0 && processAlive(pid)) continue;
    rmSync(join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}
