import { describe, expect, it } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tuneMany } from './tuneMany.js';

const GOOD = ['a wonderful film', 'great acting', 'i loved every minute', 'superb and funny'];
const BAD = ['a dull mess', 'boring and far too long', 'i hated it', 'awful script'];
const rows = (n: number) => Array.from({ length: n }, (_, i) => (i % 2 ? `${BAD[i % 4]}\tneg` : `${GOOD[i % 4]}\tpos`)).join('\n');

describe('tuneMany', () => {
  it('runs seeds in two worker processes, same results as the seeds would give alone, errors per job', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'panda-pool-'));
    await writeFile(join(dir, 'train.tsv'), `text\tlabel\n${rows(16)}\n`);
    await writeFile(join(dir, 'dev.tsv'), `text\tlabel\n${rows(4)}\n`);
    const task = { name: 'toy', files: { train: join(dir, 'train.tsv'), dev: join(dir, 'dev.tsv') }, columns: { text: 'text', label: 'label' }, labels: ['neg', 'pos'] };
    const config = { epochs: 1, batchSize: 4, promptLength: 2 };
    const jobs = [1, 2, 1].map((seed) => ({ task, config: { ...config, seed } }));
    const out = await tuneMany([...jobs, { task: 'no-such-task' }], { workers: 2 });
    expect(out.slice(0, 3).every((o) => o.ok)).toBe(true);
    const [a, b, c] = out.map((o) => (o.ok ? o.value : undefined));
    expect(a!.history).toEqual(c!.history); // same seed, different worker or order: same run
    expect(a!.config.seed).toBe(1);
    expect(b!.config.seed).toBe(2);
    expect(out[3]).toMatchObject({ ok: false, error: { code: 'TASK_UNKNOWN' } });
  });
});
