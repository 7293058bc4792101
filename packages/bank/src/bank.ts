import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PandaError } from '@panda/core';
import { ADAPTERS_DIR, copyAdapter, readManifest, removeAdapter, removeOrphans } from './adapters.js';
import { crashPoint } from './crashPoint.js';
import { cosine } from '@panda/core';
import { decodeEmbedding, encodeEmbedding, toVector } from './embedding.js';
import { entryExists, entryUnknown } from './errors.js';
import { HnswIndex, type HnswParams } from './index/hnswIndex.js';
import { catchUp, fullSync, rebuild } from './reconcile.js';
import { bankOptionsSchema, embeddingSchema, entryIdSchema, entryInputSchema, listFilterSchema, nameSchema, parseOrThrow, queryOptionsSchema, type ResolvedBankOptions } from './schema.js';
import { SqliteStore, type EntryRow, type ModelRow, type NewEntryRow } from './store/sqliteStore.js';
import type { BankEntry, BankEntryInput, EmbeddingInput, ListFilter, ModelIndexStats, PromptBankOptions, QueryHit, QueryOptions, VerifyReport } from './types.js';

/** Below this many tombstones a model's index is never rebuilt (they cost next to nothing). */
const MIN_DELETED_FOR_REBUILD = 8;

const DB_FILE = 'bank.sqlite';
const INDEX_DIR = 'index';

/** One model's index as this process holds it. */
interface Loaded {
  modelId: number;
  name: string;
  index: HnswIndex;
  /** Changes made through this process (or repairs) since its index file was last saved. */
  unsaved: number;
  rebuilds: number;
}

interface PreparedEntry {
  id: string;
  task: string;
  model: string;
  method: string;
  vector: Float32Array;
  adapterDir?: string;
  manifest?: Record<string, unknown>;
  metrics?: Record<string, number>;
}

/**
 * A prompt bank in a folder:
 *
 *   <dir>/bank.sqlite      the truth: models, entries (embeddings as float32 BLOBs), removals log, index pointers
 *   <dir>/index/m<id>-*.hnsw  one HNSW index file per model (a cache of the SQLite embeddings)
 *   <dir>/adapters/<name>/ the bank's copies of the entries' adapter folders
 *
 * Every write commits to SQLite first, then updates this process's index and saves it (a new file,
 * renamed into place, then a pointer row in SQLite). A crash anywhere in between loses nothing: on the
 * next use the index is compared with SQLite and repaired. Several processes may open the same bank;
 * each keeps its own in-memory index and catches up with the others' commits before every query.
 *
 * Ownership: the caller owns the PromptBank object and must `close()` it (which saves unsaved index
 * changes); the bank owns everything under its folder, including the adapter copies whose paths it
 * returns (read them, do not modify them). All methods are synchronous.
 */
export class PromptBank {
  /** Absolute path of the bank folder. */
  readonly dir: string;
  readonly #store: SqliteStore;
  readonly #options: ResolvedBankOptions;
  readonly #params: HnswParams;
  readonly #loaded = new Map<number, Loaded>();
  #closed = false;

  private constructor(dir: string, store: SqliteStore, options: ResolvedBankOptions) {
    this.dir = dir;
    this.#store = store;
    this.#options = options;
    this.#params = { M: options.M, efConstruction: options.efConstruction, efSearch: options.efSearch, seed: options.seed };
  }

  /** Opens the bank in `dir`, creating the folder and an empty bank if needed, and removes crash leftovers older than `orphanGraceMs`. */
  static open(dir: string, options: PromptBankOptions = {}): PromptBank {
    const resolved = parseOrThrow(bankOptionsSchema, options, 'bank options');
    if (typeof dir !== 'string' || dir.length === 0) throw new PandaError('CONFIG_INVALID', 'bank folder must be a non-empty path');
    const abs = resolve(dir);
    if (existsSync(abs) && !statSync(abs).isDirectory()) throw new PandaError('CONFIG_INVALID', `bank path ${abs} exists and is not a folder`, { details: { dir: abs } });
    mkdirSync(join(abs, INDEX_DIR), { recursive: true });
    mkdirSync(join(abs, ADAPTERS_DIR), { recursive: true });
    const store = SqliteStore.open(join(abs, DB_FILE), resolved.busyTimeoutMs);
    const bank = new PromptBank(abs, store, resolved);
    bank.#collectOrphans();
    return bank;
  }

  /** Adds a new entry. An existing id: CONFIG_INVALID with details.reason 'ENTRY_EXISTS' (see isEntryExists). */
  add(entry: BankEntryInput): BankEntry {
    return this.#write([entry], 'add')[0]!;
  }

  /** Adds or overwrites (the old version's index label and adapter copy are removed). */
  replace(entry: BankEntryInput): BankEntry {
    return this.#write([entry], 'replace')[0]!;
  }

  /**
   * Adds many new entries in one SQLite transaction (all or none) and one index save per model:
   * the fast path for bulk loads. Ids must be new and distinct.
   */
  addMany(entries: readonly BankEntryInput[]): BankEntry[] {
    if (!Array.isArray(entries)) throw new PandaError('CONFIG_INVALID', 'addMany takes an array of entries');
    return this.#write(entries, 'add');
  }

  /** Removes an entry and its adapter copy. Unknown id: ENTRY_UNKNOWN. */
  remove(id: string): void {
    this.#assertOpen();
    const key = parseOrThrow(entryIdSchema, id, 'entry id');
    const row = this.#store.write(() => {
      const r = this.#store.entry(key);
      if (!r) throw entryUnknown(key);
      this.#store.deleteEntry(r.label, r.model_id);
      return r;
    });
    crashPoint('sqlite');
    this.#afterWrite(new Map([[row.model_id, 1]]));
    removeAdapter(this.dir, row.adapter_path);
  }

  /** The entry with this id. Unknown id: ENTRY_UNKNOWN. */
  get(id: string): BankEntry {
    this.#assertOpen();
    const key = parseOrThrow(entryIdSchema, id, 'entry id');
    const row = this.#store.entry(key);
    if (!row) throw entryUnknown(key);
    return this.#toEntry(row);
  }

  /** True when an entry with this id exists. */
  has(id: string): boolean {
    this.#assertOpen();
    return this.#store.hasEntry(parseOrThrow(entryIdSchema, id, 'entry id'));
  }

  /** Entries matching every given field, oldest first. An unknown task/model/method just matches nothing. */
  list(filter: ListFilter = {}): BankEntry[] {
    this.#assertOpen();
    const f = parseOrThrow(listFilterSchema, filter, 'list filter');
    return this.#store.list(f).map((r) => this.#toEntry(r));
  }

  /** Entries of `task` (optionally of one model). None: TASK_UNKNOWN, naming the tasks the bank has. */
  forTask(task: string, options: { model?: string } = {}): BankEntry[] {
    this.#assertOpen();
    const t = parseOrThrow(nameSchema, task, 'task');
    const model = options.model === undefined ? undefined : parseOrThrow(nameSchema, options.model, 'model');
    const rows = this.#store.list({ task: t, ...(model === undefined ? {} : { model }) });
    if (rows.length === 0) {
      const known = this.#store.tasks(model === undefined ? undefined : this.#store.model(model)?.model_id ?? -1);
      const shown = known.slice(0, 20).join(', ') + (known.length > 20 ? `, … (${known.length} in all)` : '');
      throw new PandaError('TASK_UNKNOWN', `no entry for task "${t}"${model ? ` and model "${model}"` : ''} in the bank; it has ${known.length ? `tasks: ${shown}` : 'no entries'}`, {
        details: { task: t, model: model ?? null, known },
      });
    }
    return rows.map((r) => this.#toEntry(r));
  }

  /** Distinct task names, sorted (optionally of one model). */
  tasks(model?: string): string[] {
    this.#assertOpen();
    if (model === undefined) return this.#store.tasks();
    const row = this.#store.model(parseOrThrow(nameSchema, model, 'model'));
    return row ? this.#store.tasks(row.model_id) : [];
  }

  /** The models the bank knows, with their embedding width and live entry count. */
  models(): Array<{ model: string; dim: number; entries: number }> {
    this.#assertOpen();
    return this.#store.models().map((m) => ({ model: m.name, dim: m.dim, entries: m.count }));
  }

  /** Number of live entries (of one model; an unknown model has 0). */
  size(model?: string): number {
    this.#assertOpen();
    if (model === undefined) return this.#store.count();
    const row = this.#store.model(parseOrThrow(nameSchema, model, 'model'));
    return row ? this.#store.count(row.model_id) : 0;
  }

  /**
   * The k entries of `options.model` whose embeddings are most cosine-similar to `embedding`, best
   * first, after the filters (excludeTasks, method). k defaults to 10 and is clamped to the number
   * of entries that pass the filters (so fewer, possibly zero, hits come back when few pass).
   * Approximate (HNSW) unless `exact`. Errors: DIMENSION_MISMATCH (width differs from the model's),
   * BANK_EMPTY (no entries at all, or none of this model while no other model has any),
   * MODEL_MISMATCH (no entries of this model but of others; the message lists them).
   */
  query(embedding: EmbeddingInput, options: QueryOptions): QueryHit[] {
    this.#assertOpen();
    const opts = parseOrThrow(queryOptionsSchema, options, 'query options');
    const vec = toVector(parseOrThrow(embeddingSchema, embedding, 'query embedding'), 'query embedding');
    let model = this.#modelForQuery(opts.model, vec.length);
    const filter = { ...(opts.excludeTasks ? { excludeTasks: opts.excludeTasks } : {}), ...(opts.method !== undefined ? { method: opts.method } : {}) };
    const fromDisk = opts.exact || this.#loaded.has(model.model_id) ? undefined : this.#loadFromDisk(model);
    let loaded: Loaded | undefined;
    const hits = this.#store.read((): QueryHit[] => {
      if (!this.#store.hasEntries(model.model_id)) throw this.#noEntriesError(opts.model, model);
      // Another process may have emptied the model and given it a new width since the check above.
      model = this.#store.modelById(model.model_id) ?? model;
      this.#checkDim(model, { model: opts.model, vector: vec });
      let found: Array<{ label: number; score: number }>;
      if (opts.exact) {
        const scored = this.#store.filteredEmbeddings(model.model_id, filter).map((r) => ({ label: r.label, score: cosine(vec, decodeEmbedding(r.embedding, model.dim, r.label)) }));
        scored.sort((a, b) => b.score - a.score || a.label - b.label);
        found = scored.slice(0, opts.k);
      } else {
        loaded = this.#sync(model, fromDisk);
        // After the sync the index holds exactly the model's live entries.
        let eligible = loaded.index.liveCount;
        let allow: ((label: number) => boolean) | undefined;
        if (opts.method !== undefined || (opts.excludeTasks?.length ?? 0) > 0) {
          const f = this.#store.filterLabels(model.model_id, filter);
          const set = new Set(f.labels);
          if (f.kind === 'allow') {
            eligible = set.size;
            if (set.size < loaded.index.liveCount) allow = (l) => set.has(l);
          } else if (set.size > 0) {
            eligible -= set.size;
            allow = (l) => !set.has(l);
          }
        }
        found = eligible === 0 ? [] : loaded.index.search(vec, Math.min(opts.k, eligible), allow, opts.efSearch);
      }
      const rows = new Map(this.#store.entriesByLabels(found.map((f) => f.label)).map((r) => [r.label, r]));
      const out: QueryHit[] = [];
      for (const f of found) {
        const r = rows.get(f.label);
        if (r) out.push({ entry: this.#toEntry(r), score: f.score });
      }
      return out;
    });
    if (loaded) this.#maybeSave(loaded);
    return hits;
  }

  /** Per model: entries in SQLite and the state of this process's index. */
  stats(): ModelIndexStats[] {
    this.#assertOpen();
    return this.#store.models().map((m) => {
      const l = this.#loaded.get(m.model_id);
      return {
        model: m.name,
        dim: m.dim,
        entries: m.count,
        indexed: l ? l.index.size : null,
        deleted: l ? l.index.deletedCount : null,
        capacity: l ? l.index.capacity : null,
        rebuilds: l ? l.rebuilds : 0,
      };
    });
  }

  /** Loads and syncs every model's index, then checks that it holds exactly SQLite's live labels. */
  verify(): VerifyReport {
    this.#assertOpen();
    const report: VerifyReport = { ok: true, models: [] };
    for (const m of this.#store.models()) {
      const fromDisk = this.#loaded.has(m.model_id) ? undefined : this.#loadFromDisk(m);
      this.#store.read(() => {
        const l = this.#sync(m, fromDisk);
        const live = this.#store.labels(m.model_id);
        const liveSet = new Set(live);
        const indexed = l.index.liveLabels();
        const missing = live.filter((x) => !l.index.hasLive(x));
        const extra = indexed.filter((x) => !liveSet.has(x));
        if (missing.length || extra.length) report.ok = false;
        report.models.push({ model: m.name, entries: live.length, indexedLive: indexed.length, missing, extra });
      });
    }
    return report;
  }

  /** Saves every index with unsaved changes; throws if a save fails. */
  flush(): void {
    this.#assertOpen();
    for (const l of this.#loaded.values()) if (l.unsaved > 0) this.#save(l);
  }

  /** Saves unsaved index changes (a failure there only warns) and closes the database. Idempotent. */
  close(): void {
    if (this.#closed) return;
    try {
      for (const l of this.#loaded.values()) if (l.unsaved > 0) this.#trySave(l);
    } finally {
      this.#closed = true;
      this.#loaded.clear();
      this.#store.close();
    }
  }

  // ---------------------------------------------------------------------------------------------

  #assertOpen(): void {
    if (this.#closed) throw new PandaError('CONFIG_INVALID', `the bank at ${this.dir} is closed`);
  }

  /** add / replace / addMany: validate, copy adapters, one SQLite transaction, then the indexes. */
  #write(inputs: readonly BankEntryInput[], mode: 'add' | 'replace'): BankEntry[] {
    this.#assertOpen();
    const prepared = inputs.map((input, i) => this.#prepare(input, inputs.length > 1 ? `entry ${i}` : 'entry'));
    const seen = new Set<string>();
    for (const p of prepared) {
      if (seen.has(p.id)) throw new PandaError('CONFIG_INVALID', `id "${p.id}" appears twice in one call`, { details: { id: p.id } });
      seen.add(p.id);
    }
    // Cheap checks before any copying; repeated inside the transaction, which is what counts.
    for (const p of prepared) {
      this.#checkDim(this.#widthHolder(this.#store.model(p.model)), p);
      if (mode === 'add' && this.#store.hasEntry(p.id)) throw entryExists(p.id);
    }
    const copies: Array<string | null> = [];
    try {
      for (const p of prepared) copies.push(p.adapterDir === undefined ? null : copyAdapter(this.dir, p.adapterDir, p.id));
    } catch (err) {
      for (const c of copies) removeAdapter(this.dir, c);
      throw err;
    }
    if (copies.some((c) => c !== null)) crashPoint('adapter-copy');
    const createdAt = new Date().toISOString();
    const changed = new Map<number, number>();
    const replaced: Array<string | null> = [];
    const droppedIndexes: string[] = [];
    try {
      this.#store.write(() =>
        prepared.forEach((p, i) => {
          const existing = this.#store.entry(p.id);
          if (existing && mode === 'add') throw entryExists(p.id);
          const model = this.#modelFor(p, createdAt, droppedIndexes);
          if (existing) {
            this.#store.deleteEntry(existing.label, existing.model_id);
            changed.set(existing.model_id, (changed.get(existing.model_id) ?? 0) + 1);
            replaced.push(existing.adapter_path);
          }
          const row: NewEntryRow = {
            id: p.id,
            task: p.task,
            modelId: model.model_id,
            method: p.method,
            embedding: encodeEmbedding(p.vector),
            adapterPath: copies[i]!,
            manifest: p.manifest === undefined ? null : JSON.stringify(p.manifest),
            metrics: p.metrics === undefined ? null : JSON.stringify(p.metrics),
            createdAt,
          };
          changed.set(model.model_id, (changed.get(model.model_id) ?? 0) + 1);
          this.#store.insertEntry(row);
        }),
      );
    } catch (err) {
      for (const c of copies) removeAdapter(this.dir, c);
      throw err;
    }
    crashPoint('sqlite');
    for (const f of droppedIndexes) removeAdapter(join(this.dir, INDEX_DIR), f);
    this.#afterWrite(changed);
    for (const r of replaced) removeAdapter(this.dir, r);
    return prepared.map((p, i) => ({
      id: p.id,
      task: p.task,
      model: p.model,
      method: p.method,
      embedding: p.vector,
      adapterDir: copies[i] ? join(this.dir, copies[i]!) : null,
      ...(p.manifest !== undefined ? { manifest: p.manifest } : {}),
      ...(p.metrics !== undefined ? { metrics: p.metrics } : {}),
      createdAt,
    }));
  }

  #prepare(input: BankEntryInput, what: string): PreparedEntry {
    const e = parseOrThrow(entryInputSchema, input, what);
    const vector = toVector(e.embedding, `${what} embedding`);
    let manifest = e.manifest;
    if (manifest === undefined && e.adapterDir !== undefined && existsSync(e.adapterDir) && statSync(e.adapterDir).isDirectory()) manifest = readManifest(e.adapterDir);
    if (manifest !== undefined) {
      try {
        manifest = JSON.parse(JSON.stringify(manifest)) as Record<string, unknown>;
      } catch (err) {
        throw new PandaError('CONFIG_INVALID', `${what} manifest is not JSON-serialisable: ${(err as Error).message}`, { cause: err });
      }
    }
    return {
      id: e.id,
      task: e.task,
      model: e.model,
      method: e.method,
      vector,
      ...(e.adapterDir !== undefined ? { adapterDir: e.adapterDir } : {}),
      ...(manifest !== undefined ? { manifest } : {}),
      ...(e.metrics !== undefined ? { metrics: e.metrics } : {}),
    };
  }

  /**
   * The model row an entry goes under (inside the write transaction). A model with no entries left
   * takes the entry's width: its width is fixed by its entries, not forever by its first one. The
   * old index pointer goes (its file is deleted after the commit, into `dropped`).
   */
  #modelFor(p: PreparedEntry, now: string, dropped: string[]): ModelRow {
    const model = this.#store.ensureModel(p.model, p.vector.length, now);
    if (model.dim !== p.vector.length && !this.#store.hasEntries(model.model_id)) {
      const file = this.#store.resetModelDim(model.model_id, p.vector.length);
      if (file) dropped.push(file);
      this.#loaded.delete(model.model_id);
      return { ...model, dim: p.vector.length };
    }
    this.#checkDim(model, p);
    return model;
  }

  /** The model when its width is fixed (it has entries), else undefined. */
  #widthHolder(model: ModelRow | undefined): ModelRow | undefined {
    return model && this.#store.hasEntries(model.model_id) ? model : undefined;
  }

  #checkDim(model: ModelRow | undefined, p: { model: string; vector: Float32Array }): void {
    if (model && model.dim !== p.vector.length) {
      throw new PandaError('DIMENSION_MISMATCH', `embedding has width ${p.vector.length} but model "${p.model}" has width ${model.dim} in this bank`, {
        details: { model: p.model, expected: model.dim, actual: p.vector.length },
      });
    }
  }

  /** The model row a query searches, or the typed error explaining why there is none. */
  #modelForQuery(name: string, width: number): ModelRow {
    const model = this.#store.model(name);
    if (!model || !this.#store.hasEntries(model.model_id)) throw this.#noEntriesError(name, model);
    this.#checkDim(model, { model: name, vector: new Float32Array(width) });
    return model;
  }

  #noEntriesError(name: string, model: ModelRow | undefined): PandaError {
    const others = this.#store.models().filter((m) => m.count > 0 && m.name !== name);
    if (others.length === 0) {
      return new PandaError('BANK_EMPTY', model ? `the bank has no entries (none left for model "${name}")` : 'the bank has no entries', { details: { model: name } });
    }
    const list = others.map((m) => `"${m.name}" (${m.dim}-d, ${m.count} entries)`).join(', ');
    return new PandaError('MODEL_MISMATCH', `the bank has no entries for model "${name}"; it holds embeddings from: ${list}`, {
      details: { model: name, models: others.map((m) => ({ model: m.name, dim: m.dim, entries: m.count })) },
    });
  }

  /**
   * Reads the model's saved index file (outside any transaction, so a file replaced meanwhile is
   * retried with the new pointer). Null when there is none or it cannot be read: the caller builds
   * from SQLite.
   */
  #loadFromDisk(model: ModelRow): HnswIndex | null {
    let lastFile: string | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      const snap = this.#store.snapshot(model.model_id);
      if (!snap || snap.file === lastFile) return null;
      lastFile = snap.file;
      try {
        return HnswIndex.load(join(this.dir, INDEX_DIR, snap.file), model.dim, this.#params, { entries: snap.entries_mark, removals: snap.removals_mark });
      } catch {
        // Replaced and deleted by another process, or unreadable: try the current pointer once more.
      }
    }
    return null;
  }

  /** Brings this process's index of `model` up to date with SQLite. Call inside `store.read()`. */
  #sync(model: ModelRow, fromDisk?: HnswIndex | null): Loaded {
    let l = this.#loaded.get(model.model_id);
    if (l && l.index.dim !== model.dim) {
      // The model was emptied and took a new width (maybe in another process): start over from SQLite.
      this.#loaded.delete(model.model_id);
      l = undefined;
      fromDisk = null;
    }
    if (fromDisk && fromDisk.dim !== model.dim) fromDisk = null;
    if (l) {
      catchUp(this.#store, model.model_id, l.index);
    } else {
      l = { modelId: model.model_id, name: model.name, index: fromDisk ?? rebuild(this.#store, model.model_id, model.dim, this.#params), unsaved: fromDisk ? 0 : 1, rebuilds: 0 };
      if (fromDisk) {
        const r = fullSync(this.#store, model.model_id, fromDisk);
        if (r === null) {
          l.index = rebuild(this.#store, model.model_id, model.dim, this.#params);
          l.unsaved = 1;
        } else if (r.added + r.deleted > 0) {
          l.unsaved = 1; // a stale file (crash, other writers): save the repaired one
        }
      }
      this.#loaded.set(model.model_id, l);
    }
    if (l.index.deletedCount >= MIN_DELETED_FOR_REBUILD && l.index.deletedCount > this.#options.rebuildRatio * l.index.size) {
      l.index = rebuild(this.#store, model.model_id, model.dim, this.#params);
      l.rebuilds++;
      l.unsaved++;
    }
    return l;
  }

  /**
   * After a committed write: update the indexes of the touched models and save them per policy.
   * The write is already durable in SQLite, so a failure here (say, a full disk while saving the
   * index) must not be reported as a failed write: the model's index is dropped from memory (the
   * next use reloads and repairs it) and a process warning is emitted instead.
   */
  #afterWrite(changed: Map<number, number>): void {
    for (const [modelId, n] of changed) {
      try {
        const model = this.#store.modelById(modelId);
        if (!model) continue;
        const fromDisk = this.#loaded.has(modelId) ? undefined : this.#loadFromDisk(model);
        const l = this.#store.read(() => this.#sync(model, fromDisk));
        l.unsaved += n;
        this.#maybeSave(l);
      } catch (err) {
        this.#loaded.delete(modelId);
        process.emitWarning(`@panda/bank: index update after a committed write failed (the next use repairs it): ${(err as Error).message}`, { code: 'PANDA_BANK_INDEX' });
      }
    }
  }

  #maybeSave(l: Loaded): void {
    if (this.#options.saveIndexEvery > 0 && l.unsaved >= this.#options.saveIndexEvery) this.#trySave(l);
  }

  /** Saves, turning a failure into a process warning: the index file is a cache, SQLite has the data. */
  #trySave(l: Loaded): void {
    try {
      this.#save(l);
    } catch (err) {
      process.emitWarning(`@panda/bank: saving the index of model "${l.name}" failed (kept in memory; the next save or open repairs it): ${(err as Error).message}`, {
        code: 'PANDA_BANK_INDEX',
      });
    }
  }

  /** Writes a new index file, then points SQLite at it unless another process saved a newer one. */
  #save(l: Loaded): void {
    const indexDir = join(this.dir, INDEX_DIR);
    const file = l.index.save(indexDir, `m${l.modelId}`);
    crashPoint('index-file');
    let result: { replaced: string | null; rejected: boolean };
    try {
      // An index of a width the model no longer has (emptied and refilled meanwhile) is not saved.
      result = this.#store.write(() =>
        this.#store.modelById(l.modelId)?.dim === l.index.dim ? this.#store.putSnapshot(l.modelId, file, l.index.marks, new Date().toISOString()) : { replaced: null, rejected: true },
      );
    } catch (err) {
      removeAdapter(indexDir, file);
      throw err;
    }
    crashPoint('pointer');
    if (result.rejected) removeAdapter(indexDir, file);
    else if (result.replaced) removeAdapter(indexDir, result.replaced);
    l.unsaved = 0;
  }

  #collectOrphans(): void {
    const grace = this.#options.orphanGraceMs;
    const files = new Set(this.#store.snapshots().map((s) => s.file));
    removeOrphans(join(this.dir, INDEX_DIR), (name) => files.has(name), grace);
    const adapters = this.#store.adapterPaths();
    removeOrphans(join(this.dir, ADAPTERS_DIR), (name) => adapters.has(`${ADAPTERS_DIR}/${name}`), grace);
  }

  #toEntry(r: EntryRow): BankEntry {
    return {
      id: r.id,
      task: r.task,
      model: r.model,
      method: r.method,
      embedding: decodeEmbedding(r.embedding, r.dim, r.label),
      adapterDir: r.adapter_path === null ? null : join(this.dir, r.adapter_path),
      ...(r.manifest !== null ? { manifest: JSON.parse(r.manifest) as Record<string, unknown> } : {}),
      ...(r.metrics !== null ? { metrics: JSON.parse(r.metrics) as Record<string, number> } : {}),
      createdAt: r.created_at,
    };
  }
}
