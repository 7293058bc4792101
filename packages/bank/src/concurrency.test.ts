import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PromptBank } from './index.js';
import { runChild } from './testing/spawnChild.js';
import { embeddingFor } from './testing/vectors.js';
import { tempDir } from './testing/tmp.js';

const DIM = 32;
const MODEL = 'test-model';
const N = 100;

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir();
});
afterAll(() => tmp.cleanup());

describe('two processes adding at once', () => {
  it(`both open a fresh bank, each adds ${N} entries one by one: nothing is lost or doubled`, async () => {
    const dir = join(tmp.dir, 'bank');
    const go = join(tmp.dir, 'go');
    const check = join(tmp.dir, 'check');
    const a = runChild(['many', dir, 'a', String(N), String(DIM), go, check, 'a,b']);
    const b = runChild(['many', dir, 'b', String(N), String(DIM), go, check, 'a,b']);
    await Promise.all([a.waitFor((l) => l === 'ready'), b.waitFor((l) => l === 'ready')]);
    writeFileSync(go, '');
    // Once both are done adding, each finds all 2N entries through its own (caught-up) index.
    await Promise.all([a.waitFor((l) => l === 'finished'), b.waitFor((l) => l === 'finished')]);
    writeFileSync(check, '');
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(a.lines).toContain(`found ${2 * N}`);
    expect(b.lines).toContain(`found ${2 * N}`);
    expect(ra.stderr).toBe('');
    expect(rb.stderr).toBe('');
    expect([ra.code, rb.code]).toEqual([0, 0]);
    expect(a.lines.at(-1)).toBe('closed');
    expect(b.lines.at(-1)).toBe('closed');

    const bank = PromptBank.open(dir);
    try {
      const ids = bank.list().map((e) => e.id);
      expect(ids).toHaveLength(2 * N);
      expect(new Set(ids).size).toBe(2 * N);
      // The writes really interleaved: the commit order (list order) alternates between the two.
      let switches = 0;
      for (let i = 1; i < ids.length; i++) if (ids[i]![0] !== ids[i - 1]![0]) switches++;
      expect(switches).toBeGreaterThan(2);
      for (const p of ['a', 'b']) for (let i = 0; i < N; i++) expect(bank.has(`${p}/${i}`)).toBe(true);
      for (const id of ids) expect(bank.query(embeddingFor(id, DIM), { model: MODEL, k: 1 })[0]!.entry.id).toBe(id);
      expect(bank.query(embeddingFor('q', DIM), { model: MODEL, k: 1000 })).toHaveLength(2 * N);
      expect(bank.verify().ok).toBe(true);
    } finally {
      bank.close();
    }
  });
});
