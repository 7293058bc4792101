import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isPandaError } from '@panda/core';
import { runGrid } from './runGrid.js';
import { GridStore } from './store.js';
import { writeGridReport } from './report.js';
import type { GridSpecInput } from './spec.js';

// Two tasks that ship with npm packages (no data directory needed), tiny runs, one worker.
const spec: GridSpecInput = {
  sources: ['spam', 'afinn'],
  targets: ['spam', 'afinn'],
  methods: ['prompt-tuning', 'pot', 'panda'],
  tuning: { method: 'prompt-tuning', promptLength: 4, epochs: 1, batchSize: 8, maxTrainExamples: 16, maxEvalExamples: 16, maxSeqLength: 32 },
  embedding: { samples: 8, maxSeqLength: 32 },
  workers: 1,
};
const fixture = fileURLToPath(new URL('./gridRun.fixture.ts', import.meta.url));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'panda-grid-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function doneCells(d: string): Array<{ id: string; runs: number; updated: string }> {
  if (!existsSync(join(d, 'grid.sqlite'))) return [];
  const store = new GridStore(d);
  try {
    return store.db.prepare("SELECT id, runs, updated_at AS updated FROM cells WHERE status = 'done'").all() as never;
  } catch {
    return [];
  } finally {
    store.close();
  }
}

describe('runGrid', () => {
  it('resumes after being killed: no finished run is lost or repeated', async () => {
    const grid = join(dir, 'killed');
    const child = spawn(process.execPath, ['--conditions=@panda/source', '--import', 'tsx', fixture, grid, JSON.stringify(spec)], { stdio: 'ignore' });
    // Kill it (SIGKILL, no clean-up) as soon as the first run is recorded.
    const deadline = Date.now() + 240_000;
    while (doneCells(grid).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const before = doneCells(grid);
    expect(before.length).toBeGreaterThanOrEqual(1);
    expect(before.length).toBeLessThan(6);

    await runGrid({ dir: grid, spec });
    const after = doneCells(grid);
    // 2 prompt-tuning runs, 2 PoT pairs, 2 PANDA pairs.
    expect(after.map((c) => c.id).sort()).toEqual(['panda/afinn/spam', 'panda/spam/afinn', 'pot/afinn/spam', 'pot/spam/afinn', 'prompt-tuning/afinn', 'prompt-tuning/spam']);
    expect(after.every((c) => c.runs === 1)).toBe(true);
    for (const c of before) expect(after.find((a) => a.id === c.id)?.updated).toBe(c.updated);

    // A second resume has nothing left to do.
    const again = await runGrid({ dir: grid, spec });
    expect(again.ran).toBe(0);

    const files = await writeGridReport(grid);
    expect(files.map((f) => f.slice(grid.length + 1)).sort()).toEqual(['cells.csv', 'gain-panda.svg', 'gain-pot.svg', 'report.md', 'similarity.svg']);
    const report = await readFile(join(grid, 'report.md'), 'utf8');
    expect(report).toContain('| prompt tuning |');
    expect(report).toContain('PANDA metric between tasks');
    const csv = await readFile(join(grid, 'cells.csv'), 'utf8');
    expect(csv.trim().split('\n')).toHaveLength(7);
  }, 600_000);

  it('refuses to mix two different specs in one folder', async () => {
    const grid = join(dir, 'killed');
    await expect(runGrid({ dir: grid, spec: { ...spec, seed: 7 } })).rejects.toSatisfy((e) => isPandaError(e, 'CONFIG_INVALID'));
  });

  it('refuses a source grid without the sources\' prompts before running anything', async () => {
    const grid = join(dir, 'no-sources');
    await expect(runGrid({ dir: grid, spec: { ...spec, sourceGrid: join(dir, 'missing') } })).rejects.toSatisfy((e) => isPandaError(e, 'CONFIG_INVALID') && /no saved prompt for spam, afinn/.test((e as Error).message));
    expect(doneCells(grid)).toEqual([]);
  });

  it('resumes the same grid with another data directory (where the files are is no setting of the runs)', async () => {
    const r = await runGrid({ dir: join(dir, 'killed'), spec: { ...spec, dataDir: join(dir, 'elsewhere') } });
    expect(r).toMatchObject({ ran: 0, failed: 0 });
  });
});
