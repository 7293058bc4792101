import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GridStore, type CellRow } from '@panda/transfer';
import { RUN_FILES } from '@panda/tuner';
import { exportCells, exportFixed, exportSaved, restoreGrid, writeJsonAtomic } from './committed.js';

const SPEC = { targets: ['cb'], seeds: [1, 2, 3] };

function cell(id: string, kind: string, status: 'done' | 'failed', dev: number | null): CellRow {
  const [, source] = id.split('/');
  return {
    id,
    kind,
    source: kind === 'prompt-tuning' || kind === 'model-tuning' ? null : (source ?? null),
    target: 'cb',
    status,
    dev,
    test: null,
    firstEpochDev: dev === null ? null : dev - 0.1,
    beta: kind === 'panda' ? 0.47 : null,
    seconds: 12,
    error: status === 'failed' ? 'NON_FINITE_LOSS' : null,
    result: status === 'done' ? { metrics: { devScore: dev }, history: [{ epoch: 1, devScore: dev }], steps: 40, trainSeconds: 11, stepsPerSecond: 3.6, sizes: { train: 225 }, trainableParams: 25600, config: { lr: 0.01, seed: 1 }, backboneId: 'use-lite' } : null,
  };
}

/** Fake run files: their bytes only have to come back the same. */
async function runFolder(gridDir: string, id: string): Promise<void> {
  const d = join(gridDir, 'runs', ...id.split('/'));
  await mkdir(d, { recursive: true });
  for (const f of RUN_FILES) await writeFile(join(d, f), `${id}:${f}`);
}

describe('a target grid committed and rebuilt on a fresh machine', () => {
  let root: string;
  let dir: string;
  let gridDir: string;
  const cells = [
    cell('prompt-tuning/cb@s1', 'prompt-tuning', 'done', 0.6),
    cell('pot/sst2/cb@s1', 'pot', 'done', 0.62),
    cell('pot/mr/cb@s1', 'pot', 'done', 0.58),
    cell('panda/sst2/cb@s1', 'panda', 'failed', null),
    cell('panda/mr/cb@s1', 'panda', 'done', 0.61),
    cell('model-tuning/cb@s1', 'model-tuning', 'done', 0.64),
  ];

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'panda-committed-'));
    dir = join(root, 'cb');
    gridDir = join(dir, 'grid');
    const store = new GridStore(gridDir);
    cells.forEach((c) => store.put(c));
    store.ranking('cb', () => ['sst2', 'mr']);
    store.constantBeta(() => 0.4438617569916301);
    store.close();
    // The PT run and one PoT run saved their prompt; the other PoT run's folder is missing.
    await runFolder(gridDir, 'prompt-tuning/cb@s1');
    await runFolder(gridDir, 'pot/sst2/cb@s1');
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  async function commit(complete: boolean): Promise<void> {
    const exported = exportCells(gridDir);
    await exportSaved(dir, gridDir, exported, complete);
    await writeJsonAtomic(join(dir, 'runs.json'), { part: 'cb', complete, spec: SPEC, fixed: exportFixed(gridDir), cells: exported });
  }

  it('exports the choices the grid fixed and the saved prompts of the finished runs that have them', async () => {
    await commit(false);
    expect(exportFixed(gridDir)).toEqual({ constantBeta: '0.4438617569916301', 'ranking/cb': '["sst2","mr"]' });
    expect(existsSync(join(dir, 'saved', 'prompt-tuning', 'cb@s1', RUN_FILES[0]))).toBe(true);
    expect(existsSync(join(dir, 'saved', 'pot', 'sst2', 'cb@s1', RUN_FILES[0]))).toBe(true);
    expect(existsSync(join(dir, 'saved', 'pot', 'mr'))).toBe(false);
  });

  it('rebuilds the store: finished cells with their results, the fixed choices and the prompts; a failed run and a PoT run without its prompt are left to rerun', async () => {
    await commit(false);
    await rm(gridDir, { recursive: true });
    const restored = await restoreGrid(dir, gridDir, SPEC);
    expect(restored).toEqual({ cells: 4, complete: false });

    const store = new GridStore(gridDir);
    try {
      const byId = new Map(store.cells().map(({ runs: _runs, ...c }) => [c.id, c]));
      expect([...byId.keys()].sort()).toEqual(['model-tuning/cb@s1', 'panda/mr/cb@s1', 'pot/sst2/cb@s1', 'prompt-tuning/cb@s1']);
      for (const id of byId.keys()) expect(byId.get(id)).toEqual(cells.find((c) => c.id === id));
      expect(store.done('pot/mr/cb@s1')).toBe(false);
      expect(store.done('panda/sst2/cb@s1')).toBe(false);
      // The store's choices come back, not recomputed.
      expect(store.constantBeta(() => 0.9)).toBe(0.4438617569916301);
      expect(store.ranking('cb', () => ['mr', 'sst2'])).toEqual(['sst2', 'mr']);
    } finally {
      store.close();
    }
    for (const f of RUN_FILES) {
      expect(await readFile(join(gridDir, 'runs', 'pot', 'sst2', 'cb@s1', f), 'utf8')).toBe(`pot/sst2/cb@s1:${f}`);
      expect(await readFile(join(gridDir, 'runs', 'prompt-tuning', 'cb@s1', f), 'utf8')).toBe(`prompt-tuning/cb@s1:${f}`);
    }
  });

  it('leaves an existing store alone', async () => {
    await commit(false);
    expect(await restoreGrid(dir, gridDir, SPEC)).toEqual({ cells: 0, complete: false });
  });

  it('refuses a committed grid made with other settings', async () => {
    await commit(false);
    await rm(gridDir, { recursive: true });
    await expect(restoreGrid(dir, gridDir, { ...SPEC, seeds: [1] })).rejects.toThrow(/other settings/);
    expect(existsSync(join(gridDir, 'grid.sqlite'))).toBe(false);
  });

  it('does not rebuild a complete grid (its saved prompts are removed): it is counted and left as committed', async () => {
    await commit(true);
    expect(existsSync(join(dir, 'saved'))).toBe(false);
    await rm(gridDir, { recursive: true });
    expect(await restoreGrid(dir, gridDir, SPEC)).toEqual({ cells: 5, complete: true });
    expect(existsSync(join(gridDir, 'grid.sqlite'))).toBe(false);
    // Settings changed since: refused, not taken as the result.
    await expect(restoreGrid(dir, gridDir, { ...SPEC, seeds: [1] })).rejects.toThrow(/other settings/);
  });
});
