import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PromptBank, CRASH_ENV, type CrashPoint } from './index.js';
import { runChild } from './testing/spawnChild.js';
import { embeddingFor } from './testing/vectors.js';
import { tempDir } from './testing/tmp.js';

/**
 * Real crashes: a child process writes to the bank and is SIGKILLed between the SQLite commit and
 * the index update/save (and at the other points of a write); the parent reopens the bank and
 * checks that every committed entry is there exactly once, in list() and in query().
 */

const DIM = 32;
const MODEL = 'test-model';
let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir();
});
afterAll(() => tmp.cleanup());

/** A bank with three saved entries. */
function seedBank(name: string): string {
  const dir = join(tmp.dir, name);
  const bank = PromptBank.open(dir);
  for (const id of ['seed/0', 'seed/1', 'seed/2']) bank.add({ id, task: 'seed', model: MODEL, method: 'prompt-tuning', embedding: embeddingFor(id, DIM) });
  bank.close();
  return dir;
}

/** Every entry appears once in list() and is its own exact and HNSW top-1; index and SQLite agree. */
function expectConsistent(bank: PromptBank, ids: readonly string[]): void {
  const listed = bank.list().map((e) => e.id);
  expect([...listed].sort()).toEqual([...ids].sort());
  const all = bank.query(embeddingFor(ids[0]!, DIM), { model: MODEL, k: 1000 }).map((h) => h.entry.id);
  expect(all).toHaveLength(ids.length);
  expect(new Set(all).size).toBe(ids.length);
  for (const id of ids) {
    expect(bank.query(embeddingFor(id, DIM), { model: MODEL, k: 1 })[0]!.entry.id).toBe(id);
    expect(bank.query(embeddingFor(id, DIM), { model: MODEL, k: 1, exact: true })[0]!.entry.id).toBe(id);
  }
  expect(bank.verify().ok).toBe(true);
}

describe('crash between the two stores', () => {
  it.each<[CrashPoint, boolean]>([
    ['sqlite', true],
    ['index-file', true],
    ['pointer', true],
    ['adapter-copy', false],
  ])('SIGKILL after %s: reopened bank is consistent (entry committed: %s)', async (point, committed) => {
    const dir = seedBank(`crash-${point}`);
    const adapter = join(tmp.dir, `run-${point}`);
    mkdirSync(adapter, { recursive: true });
    writeFileSync(join(adapter, 'manifest.json'), '{"task":"x"}');
    const indexFilesBefore = readdirSync(join(dir, 'index'));
    const run = runChild(['add', dir, 'x/crash', String(DIM), adapter], { [CRASH_ENV]: point });
    const result = await run.done;
    expect(result.signal).toBe('SIGKILL');
    expect(run.lines).not.toContain('added x/crash'); // it died inside add()
    if (point === 'sqlite') expect(readdirSync(join(dir, 'index'))).toEqual(indexFilesBefore); // the index file was never touched

    const bank = PromptBank.open(dir);
    try {
      const ids = ['seed/0', 'seed/1', 'seed/2', ...(committed ? ['x/crash'] : [])];
      expectConsistent(bank, ids);
      if (committed) expect(existsSync(bank.get('x/crash').adapterDir!)).toBe(true);
      // The entry can be added (again) normally afterwards.
      if (committed) bank.replace({ id: 'x/crash', task: 'x', model: MODEL, method: 'prompt-tuning', embedding: embeddingFor('x/crash', DIM) });
      else bank.add({ id: 'x/crash', task: 'x', model: MODEL, method: 'prompt-tuning', embedding: embeddingFor('x/crash', DIM) });
      expectConsistent(bank, ['seed/0', 'seed/1', 'seed/2', 'x/crash']);
    } finally {
      bank.close();
    }
    // Leftovers (an orphaned adapter copy, an index file never pointed to) go on the next open.
    const cleaner = PromptBank.open(dir, { orphanGraceMs: 0 });
    cleaner.close();
    expect(readdirSync(join(dir, 'index'))).toHaveLength(1);
    expect(readdirSync(join(dir, 'adapters'))).toHaveLength(0);
  });

  it('SIGKILL at a random moment while adding in a loop: every reported entry survives, none twice', async () => {
    const dir = seedBank('crash-loop');
    const run = runChild(['loop', dir, 'loop', String(DIM)]);
    await run.waitFor((_line, all) => all.length >= 25);
    run.child.kill('SIGKILL');
    const result = await run.done;
    expect(result.signal).toBe('SIGKILL');
    const reported = run.lines.filter((l) => l.startsWith('added ')).map((l) => l.slice('added '.length));
    expect(reported.length).toBeGreaterThanOrEqual(25);
    const bank = PromptBank.open(dir);
    try {
      const listed = bank.list().map((e) => e.id).filter((id) => id.startsWith('loop/'));
      // Everything reported is there; at most one more (committed, killed before it printed).
      for (const id of reported) expect(listed).toContain(id);
      expect(listed.length - reported.length).toBeGreaterThanOrEqual(0);
      expect(listed.length - reported.length).toBeLessThanOrEqual(1);
      expectConsistent(bank, ['seed/0', 'seed/1', 'seed/2', ...listed]);
    } finally {
      bank.close();
    }
  });
});
