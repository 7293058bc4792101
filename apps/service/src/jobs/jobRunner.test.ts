import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobRunner } from './jobRunner.js';
import { JobStore } from './jobStore.js';
import type { WorkerJob } from './jobWorker.js';

/** A resolve step the test releases by hand: the window in which a job is taken but not yet running. */
function gate() {
  let release!: (job: WorkerJob) => void;
  let fail!: (err: Error) => void;
  const waiting = new Promise<WorkerJob>((resolve, reject) => {
    release = resolve;
    fail = reject;
  });
  return { waiting, release, fail };
}

describe('JobRunner while a job is being started', () => {
  let runner: JobRunner | undefined;
  afterEach(async () => {
    await runner?.close();
  });

  it('a job whose files are being resolved no longer counts as waiting against maxQueued', async () => {
    const store = new JobStore(join(mkdtempSync(join(tmpdir(), 'panda-runner-')), 'jobs.sqlite'));
    const first = gate();
    let calls = 0;
    runner = new JobRunner(store, { maxJobs: 1, maxQueued: 1, resolve: () => (calls++ === 0 ? first.waiting : Promise.reject(new Error('not started in this test'))) });
    const a = runner.submit('tune', { n: 1 });
    await new Promise((r) => setImmediate(r));
    // The first job is being started: one more may wait (it was refused with TOO_MANY_JOBS).
    const b = runner.submit('tune', { n: 2 });
    expect(store.get(b.id)!.status).toBe('queued');
    expect(() => runner!.submit('tune', { n: 3 })).toThrow(expect.objectContaining({ code: 'TOO_MANY_JOBS' }));
    first.fail(new Error('released'));
    await expect.poll(() => store.get(a.id)!.status).toBe('failed');
  });

  it('a job cancelled while its files are resolved stays cancelled (it used to start anyway)', async () => {
    const store = new JobStore(join(mkdtempSync(join(tmpdir(), 'panda-runner-')), 'jobs.sqlite'));
    const first = gate();
    runner = new JobRunner(store, { maxJobs: 1, maxQueued: 4, resolve: () => first.waiting });
    const a = runner.submit('tune', { n: 1 });
    await new Promise((r) => setImmediate(r));
    expect(runner.cancel(a.id).status).toBe('cancelled');
    first.release({ kind: 'tune', task: 'spam', outDir: join(tmpdir(), 'never-written') });
    await new Promise((r) => setTimeout(r, 200));
    expect(store.get(a.id)!.status).toBe('cancelled');
    expect(runner.active).toBe(0);
  });
});
