import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore } from './sqliteStore.js';
import { tempDir } from '../testing/tmp.js';

let tmp: ReturnType<typeof tempDir>;
let store: SqliteStore;
beforeEach(() => {
  tmp = tempDir();
  store = SqliteStore.open(join(tmp.dir, 'bank.sqlite'), 1000);
});
afterEach(() => {
  store.close();
  tmp.cleanup();
});

const row = (id: string, modelId: number) => ({
  id,
  task: 't',
  modelId,
  method: 'm',
  embedding: Buffer.alloc(8),
  adapterPath: null,
  manifest: null,
  metrics: null,
  createdAt: 'now',
});

describe('SqliteStore', () => {
  it('hands out labels and removal seqs in order, never reusing one; marks follow them', () => {
    expect(store.marks()).toEqual({ entries: 0, removals: 0 });
    const m = store.write(() => store.ensureModel('m', 2, 'now'));
    const l1 = store.write(() => store.insertEntry(row('a', m.model_id)));
    const l2 = store.write(() => store.insertEntry(row('b', m.model_id)));
    store.write(() => store.deleteEntry(l2, m.model_id));
    const l3 = store.write(() => store.insertEntry(row('b', m.model_id)));
    expect([l1, l2, l3]).toEqual([1, 2, 3]);
    expect(store.marks()).toEqual({ entries: 3, removals: 1 });
    expect(store.embeddingsAfter(m.model_id, 1).map((r) => r.label)).toEqual([3]);
    expect(store.removedBetween(m.model_id, 0, 1)).toEqual([2]);
    expect(store.labels(m.model_id)).toEqual([1, 3]);
    // A rolled-back transaction consumes no label.
    expect(() => store.write(() => (store.insertEntry(row('c', m.model_id)), (() => { throw new Error('boom'); })()))).toThrow('boom');
    expect(store.marks().entries).toBe(3);
  });

  it('ensureModel keeps the first width', () => {
    store.write(() => store.ensureModel('m', 4, 'now'));
    expect(store.write(() => store.ensureModel('m', 8, 'now')).dim).toBe(4);
  });

  it('an index pointer only moves forward', () => {
    expect(store.write(() => store.putSnapshot(1, 'f1', { entries: 5, removals: 2 }, 'now'))).toEqual({ replaced: null, rejected: false });
    expect(store.write(() => store.putSnapshot(1, 'f2', { entries: 7, removals: 2 }, 'now'))).toEqual({ replaced: 'f1', rejected: false });
    // An older save (another process that caught up less) must not win.
    expect(store.write(() => store.putSnapshot(1, 'f0', { entries: 6, removals: 2 }, 'now'))).toEqual({ replaced: null, rejected: true });
    expect(store.write(() => store.putSnapshot(1, 'f0', { entries: 7, removals: 1 }, 'now'))).toEqual({ replaced: null, rejected: true });
    expect(store.snapshot(1)?.file).toBe('f2');
    // Same marks (a rebuild at the same point) may replace it.
    expect(store.write(() => store.putSnapshot(1, 'f3', { entries: 7, removals: 2 }, 'now'))).toEqual({ replaced: 'f2', rejected: false });
  });
});
