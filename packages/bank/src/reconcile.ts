import { decodeEmbedding } from './embedding.js';
import { HnswIndex, type HnswParams } from './index/hnswIndex.js';
import type { SqliteStore } from './store/sqliteStore.js';

/**
 * Keeping one model's HNSW index equal to SQLite's live entries of that model. SQLite is the truth;
 * the index is a cache that may lag behind (a crash after the SQLite commit, another process's
 * writes, an index file saved a while ago). Every function here must run inside `store.read()` or
 * `store.write()` so that it sees one consistent snapshot.
 */

export interface SyncResult {
  /** Labels added to the index. */
  added: number;
  /** Labels tombstoned in the index. */
  deleted: number;
}

/**
 * Incremental: adds the model's entries with label > `index.marks.entries` and tombstones the
 * model's removals with seq > `index.marks.removals`, then advances the marks. Correct because
 * labels and removal seqs are handed out in commit order. O(changes) plus one tiny query when
 * nothing changed.
 */
export function catchUp(store: SqliteStore, modelId: number, index: HnswIndex): SyncResult {
  const now = store.marks();
  const result: SyncResult = { added: 0, deleted: 0 };
  if (now.entries === index.marks.entries && now.removals === index.marks.removals) return result;
  if (now.entries > index.marks.entries) {
    const rows = store.embeddingsAfter(modelId, index.marks.entries);
    index.reserve(index.size + rows.length);
    for (const r of rows) {
      if (index.has(r.label)) continue;
      index.add(r.label, decodeEmbedding(r.embedding, index.dim, r.label));
      result.added++;
    }
  }
  if (now.removals > index.marks.removals) {
    for (const label of store.removedBetween(modelId, index.marks.removals, now.removals)) {
      if (index.hasLive(label) && index.markDeleted(label)) result.deleted++;
    }
  }
  index.marks = now;
  return result;
}

/**
 * Full: compares the index's labels with the model's live labels and repairs both directions
 * (adds the missing, tombstones the extra — including the tombstones a loaded file already had,
 * which hnswlib restores but does not report; those do not count as changes). Used once per process per model, after loading an
 * index file whose age is unknown. Returns null when the index holds a live label as a tombstone,
 * which only a damaged or foreign file can do: the caller then rebuilds.
 */
export function fullSync(store: SqliteStore, modelId: number, index: HnswIndex): SyncResult | null {
  const now = store.marks();
  const live = new Set(store.labels(modelId));
  const result: SyncResult = { added: 0, deleted: 0 };
  for (const label of index.liveLabels()) {
    if (live.has(label)) continue;
    if (index.markDeleted(label)) result.deleted++;
  }
  const missing: number[] = [];
  for (const label of live) {
    if (index.hasLive(label)) continue;
    if (index.has(label)) return null;
    missing.push(label);
  }
  const rows = store.embeddingsOf(modelId, missing);
  index.reserve(index.size + rows.length);
  for (const r of rows) {
    index.add(r.label, decodeEmbedding(r.embedding, index.dim, r.label));
    result.added++;
  }
  index.marks = now;
  return result;
}

/** A fresh index holding exactly the model's live entries (room for 25 % growth). */
export function rebuild(store: SqliteStore, modelId: number, dim: number, params: HnswParams): HnswIndex {
  const now = store.marks();
  const rows = store.embeddingsAfter(modelId, 0);
  const index = HnswIndex.create(dim, Math.ceil(rows.length * 1.25), params);
  for (const r of rows) index.add(r.label, decodeEmbedding(r.embedding, dim, r.label));
  index.marks = now;
  return index;
}
