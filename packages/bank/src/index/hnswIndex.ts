import { closeSync, fsyncSync, openSync, renameSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import hnswlib from 'hnswlib-node';
import type { Marks } from '../store/sqliteStore.js';

/**
 * One model's HNSW index (hnswlib-node, space 'cosine': vectors are L2-normalised on the way in and
 * distance = 1 − cos), keyed by the SQLite labels of the entries. hnswlib stores numbers only, so
 * everything else stays in SQLite. Deletions are tombstones (markDelete) until the owner rebuilds.
 *
 * The object also carries `marks`: the SQLite sequences (entries, removals) up to which it reflects
 * the database. It is not thread-safe and not shared between processes; each process holds its own.
 */

export interface HnswParams {
  /** Graph degree (hnswlib M). */
  M: number;
  /** Construction breadth. */
  efConstruction: number;
  /** Search breadth (raised to k per query). */
  efSearch: number;
  /** Level-assignment seed. */
  seed: number;
}

const MIN_CAPACITY = 64;

export class HnswIndex {
  readonly dim: number;
  marks: Marks;
  readonly #h: hnswlib.HierarchicalNSW;
  readonly #params: HnswParams;
  /** Every label in the graph, tombstones included. */
  readonly #labels: Set<number>;
  /** Tombstoned labels. */
  readonly #deleted = new Set<number>();

  private constructor(h: hnswlib.HierarchicalNSW, dim: number, params: HnswParams, labels: Iterable<number>, marks: Marks) {
    this.#h = h;
    this.dim = dim;
    this.#params = params;
    this.#labels = new Set(labels);
    this.marks = marks;
  }

  /** An empty index with room for `capacity` elements (grows on demand). */
  static create(dim: number, capacity: number, params: HnswParams): HnswIndex {
    const h = new hnswlib.HierarchicalNSW('cosine', dim);
    h.initIndex({ maxElements: Math.max(MIN_CAPACITY, capacity), m: params.M, efConstruction: params.efConstruction, randomSeed: params.seed });
    return new HnswIndex(h, dim, params, [], { entries: 0, removals: 0 });
  }

  /**
   * Reads an index file saved by `save()`. Its tombstones are restored by hnswlib but not visible
   * through its API, so the caller re-marks the labels it knows were removed (`markDeleted`, which
   * tolerates labels already tombstoned). Throws whatever hnswlib throws for a bad file.
   */
  static load(file: string, dim: number, params: HnswParams, marks: Marks): HnswIndex {
    const h = new hnswlib.HierarchicalNSW('cosine', dim);
    h.readIndexSync(file);
    if (h.getNumDimensions() !== dim) throw new Error(`index file ${file} has dimension ${h.getNumDimensions()}, expected ${dim}`);
    return new HnswIndex(h, dim, params, h.getIdsList(), marks);
  }

  /** Elements in the graph, tombstones included. */
  get size(): number {
    return this.#labels.size;
  }

  get deletedCount(): number {
    return this.#deleted.size;
  }

  get liveCount(): number {
    return this.#labels.size - this.#deleted.size;
  }

  get capacity(): number {
    return this.#h.getMaxElements();
  }

  /** True when `label` is in the graph and not tombstoned. */
  hasLive(label: number): boolean {
    return this.#labels.has(label) && !this.#deleted.has(label);
  }

  has(label: number): boolean {
    return this.#labels.has(label);
  }

  /** Every live label. */
  liveLabels(): number[] {
    const out: number[] = [];
    for (const l of this.#labels) if (!this.#deleted.has(l)) out.push(l);
    return out;
  }

  /** Adds `vector` (`[dim]`) under a label not yet in the graph; grows the capacity by half when full. */
  add(label: number, vector: Float32Array): void {
    if (this.#labels.has(label)) throw new Error(`label ${label} is already in the index`);
    // hnswlib-node reads labels as uint32; SQLite's would have to pass 4 billion inserts to exceed it.
    if (!Number.isInteger(label) || label < 0 || label > 0xffff_ffff) throw new Error(`label ${label} does not fit hnswlib's uint32 labels`);
    if (this.#labels.size >= this.#h.getMaxElements()) this.#h.resizeIndex(Math.max(MIN_CAPACITY, Math.ceil(this.#h.getMaxElements() * 1.5)));
    this.#h.addPoint(Array.from(vector), label);
    this.#labels.add(label);
  }

  /** Grows the capacity to at least `n` elements (one resize before a bulk add). */
  reserve(n: number): void {
    if (n > this.#h.getMaxElements()) this.#h.resizeIndex(n);
  }

  /**
   * Tombstones `label` (no-op when absent). Returns false when hnswlib already had it tombstoned
   * (a loaded file's tombstones are restored by hnswlib but not reported through its API).
   */
  markDeleted(label: number): boolean {
    if (!this.#labels.has(label) || this.#deleted.has(label)) return false;
    this.#deleted.add(label);
    try {
      this.#h.markDelete(label);
    } catch (err) {
      if (String((err as Error).message).includes('already deleted')) return false;
      this.#deleted.delete(label);
      throw err;
    }
    return true;
  }

  /**
   * The `k` nearest live labels by cosine, best first. `allow`, when given, is asked per candidate.
   * `k` must not exceed the live count (the bank clamps it). `efSearch` overrides the index's default
   * for this call. Returns cosine similarities (1 − d).
   */
  search(query: Float32Array, k: number, allow?: (label: number) => boolean, efSearch = this.#params.efSearch): Array<{ label: number; score: number }> {
    this.#h.setEf(Math.max(efSearch, k));
    const r = allow ? this.#h.searchKnn(Array.from(query), k, allow) : this.#h.searchKnn(Array.from(query), k);
    return r.neighbors.map((label, i) => ({ label, score: 1 - r.distances[i]! }));
  }

  /**
   * Writes the graph to `<dir>/<prefix>-<unique>.hnsw` atomically (temp file, fsync, rename, fsync
   * of the folder) and returns the file name. The file never changes afterwards.
   */
  save(dir: string, prefix: string): string {
    const name = `${prefix}-${Date.now().toString(36)}-${process.pid}-${randomBytes(4).toString('hex')}.hnsw`;
    const tmp = join(dir, `.tmp-${name}`);
    try {
      this.#h.writeIndexSync(tmp);
      fsyncPath(tmp, 'r+');
      renameSync(tmp, join(dir, name));
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
    fsyncPath(dir, 'r');
    return name;
  }
}

function fsyncPath(path: string, flags: string): void {
  const fd = openSync(path, flags);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
