import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GridStore, type CellRow } from './store.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'panda-gridstore-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const cell = (id: string, kind: string, beta: number | null): CellRow => ({
  id, kind, source: 'a', target: 'b', status: 'done', dev: 0.5, test: null, firstEpochDev: null, beta, seconds: 1, error: null, result: null,
});

describe('GridStore.constantBeta', () => {
  it('computes the constant once and keeps it across invocations, even when the tasks change', () => {
    let calls = 0;
    const first = new GridStore(dir);
    expect(first.constantBeta(() => (calls++, 0.42))).toBe(0.42);
    expect(first.constantBeta(() => (calls++, 0.9))).toBe(0.42);
    first.close();
    const again = new GridStore(dir); // a later invocation, e.g. the grid grown with another task
    expect(again.constantBeta(() => (calls++, 0.7))).toBe(0.42);
    again.close();
    expect(calls).toBe(1);
  });

  it('reads the value back from the first constant-β cell of a grid made before it was stored', () => {
    const store = new GridStore(dir);
    store.put(cell('panda/a/b', 'panda', 0.8));
    store.put(cell('panda-constant/a/b', 'panda-constant', 0.4729));
    expect(store.constantBeta(() => 0.1)).toBe(0.4729);
    store.close();
  });
});

describe('GridStore.ranking', () => {
  it('is fixed the first time it is known, and stays so across invocations', () => {
    const store = new GridStore(dir);
    expect(store.ranking('cb', () => undefined)).toBeUndefined(); // not known yet: nothing stored
    expect(store.ranking('cb', () => ['mr', 'sst2'])).toEqual(['mr', 'sst2']);
    store.close();
    const again = new GridStore(dir);
    expect(again.ranking('cb', () => ['sst2', 'mr'])).toEqual(['mr', 'sst2']);
    expect(again.ranking('rte', () => ['qnli'])).toEqual(['qnli']);
    again.close();
  });
});
