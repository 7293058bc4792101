import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GridStore, type CellRow } from '@panda/transfer';
import { gridView } from './gridView.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'panda-gridview-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const cell = (id: string, kind: string, source: string | null, target: string, dev: number): CellRow => ({ id, kind, source, target, status: 'done', dev, test: null, firstEpochDev: null, beta: null, seconds: 1, error: null, result: null });
const profile = (task: string, e: number[]) => ({ task, embedding: Float32Array.from(e), activationRate: Float32Array.from([1, 0]), prompt: new Float32Array(0), promptRows: 0 });

describe('gridView of a seeded grid of targets (sources from another grid)', () => {
  it('shows the first seed, and the sources\' task embeddings under their names', () => {
    const store = new GridStore(dir);
    store.setLatestSpec({ sources: ['sst2', 'mr'], targets: ['cb'], seeds: [1, 2], sourceGrid: '../sources/grid' });
    store.put(cell('prompt-tuning/cb@s1', 'prompt-tuning', null, 'cb', 0.6));
    store.put(cell('prompt-tuning/cb@s2', 'prompt-tuning', null, 'cb', 0.9));
    store.put(cell('pot/sst2/cb@s1', 'pot', 'sst2', 'cb', 0.7));
    store.put(cell('pot/sst2/cb@s2', 'pot', 'sst2', 'cb', 0.1));
    store.putTask(profile('cb', [1, 0]));
    store.putTask(profile('source:sst2', [1, 1]));
    store.putTask(profile('source:mr', [0, 1]));
    store.close();
    const view = gridView({ name: 'cb', dir });
    expect(view.baselines['prompt-tuning']).toEqual({ cb: 0.6 });
    expect(view.tables.pot!.values).toEqual([[0.7], [null]]);
    expect(view.gains.pot!.values[0]![0]).toBeCloseTo(10, 10);
    expect(view.similarity!.rows).toEqual(['sst2', 'mr', 'cb']);
    expect(view.similarity!.values[0]![2]).toBeCloseTo(Math.SQRT1_2, 6);
  });
});
