import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasRedis, startTestRedis, spawnWorker, type TestRedis, type WorkerProcess } from '@panda/queue/testing';
import { client, readEvents, sentimentCsv, testService, tinyJob } from './testing/fixtures.js';

// The service with `queue`: its training jobs run on a panda worker (a real one, in its own
// process) through a real Redis; the service keeps its runs, progress and bank itself.
describe.runIf(hasRedis)('the service hands its training jobs to a queue', () => {
  let redis: TestRedis;
  let worker: WorkerProcess;
  let root: string;
  let service: Awaited<ReturnType<typeof testService>>;
  let api: ReturnType<typeof client>;
  let train: string;
  let dev: string;
  const queueName = `panda-service-test-${process.pid}`;

  beforeAll(async () => {
    redis = await startTestRedis();
    root = await mkdtemp(join(tmpdir(), 'panda-service-queue-'));
    worker = await spawnWorker({ url: redis.url, workDir: join(root, 'worker'), env: { PANDA_TEST_QUEUE: queueName } });
    service = await testService({ queue: redis.url, queueName, checkpointEvery: 4 });
    api = client(service.url);
    train = (await api.upload('train.csv', sentimentCsv(32))).body.id;
    dev = (await api.upload('dev.csv', sentimentCsv(12, 1))).body.id;
  });
  afterAll(async () => {
    await service?.close();
    await worker?.kill();
    await redis?.dispose();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('trains on the worker: progress (steps, evaluations, phases) reaches the job, the run its folder, the prompt the bank', async () => {
    const job = (await api.post('/api/jobs', { ...tinyJob(train, dev, { epochs: 2 }), storeInBank: true })).body;
    const events = await readEvents(service.url, job.id);
    const done = (await api.get(`/api/jobs/${job.id}`)).body;
    expect(done.status, JSON.stringify(done.error)).toBe('done');
    expect(worker.lines.some((l) => l.startsWith(`service job ${job.id}: done`))).toBe(true);
    expect(done.progress.evals.map((e: { step: number }) => e.step)).toEqual([8, 16]);
    expect(events.some((e) => e.event === 'progress' && e.data.type === 'phase')).toBe(true);
    expect(done.result).toMatchObject({ steps: 16, bankId: expect.stringContaining(job.id) });
    expect(existsSync(join(service.root, 'runs', job.id, 'adapter.safetensors'))).toBe(true);
    const bank = (await api.get('/api/bank')).body;
    expect(JSON.stringify(bank)).toContain(job.id);
    // The stored prompt predicts like any other.
    const predicted = await api.post('/api/predict', { items: [{ promptId: job.id, text: 'a wonderful film' }] });
    expect(predicted.status, JSON.stringify(predicted.body)).toBe(200);
  }, 300_000);

  it('a transfer job trains its teacher and student on the worker; retrieval and the bank stay in the service', async () => {
    // The bank holds the prompt the first test stored (task toy-sentiment): the source.
    const request = { task: { name: 'movie-reviews', train, dev, labels: ['neg', 'pos'] }, config: { epochs: 1, batchSize: 4, promptLength: 4 }, transfer: { k: 1 } };
    const job = (await api.post('/api/transfer', request)).body;
    expect(job.status, JSON.stringify(job)).toBe('queued');
    await readEvents(service.url, job.id);
    const done = (await api.get(`/api/jobs/${job.id}`)).body;
    expect(done.status, JSON.stringify(done.error)).toBe('done');
    const ran = worker.lines.filter((l) => l.startsWith(`service job ${job.id}: `) && / done in /.test(l)).map((l) => l.split(':')[1]!.trim());
    expect(ran).toEqual([expect.stringMatching(/^teacher-/), 'student']);
    expect(done.result.sources).toHaveLength(1);
    expect(done.result.student.bankId).toBeTruthy();
    expect(existsSync(join(service.root, 'runs', job.id, 'student', 'adapter.safetensors'))).toBe(true);
  }, 300_000);

  it('a cancel stops the run on its worker, which returns the best weights so far', async () => {
    const job = (await api.post('/api/jobs', tinyJob(train, dev, { epochs: 200 }))).body;
    await readEvents(service.url, job.id, { stop: (e) => e.event === 'progress' && e.data.type === 'step' && e.data.step >= 2 });
    await api.post(`/api/jobs/${job.id}/cancel`);
    const events = await readEvents(service.url, job.id);
    expect(events.at(-1)!.data).toEqual({ status: 'cancelled' });
    const cancelled = (await api.get(`/api/jobs/${job.id}`)).body;
    expect(cancelled.error.message).toContain('best weights so far were saved');
    expect(cancelled.result.stoppedEarly).toBe(true);
    expect(cancelled.result.steps).toBeLessThan(200 * 8);
    expect(existsSync(join(service.root, 'runs', job.id, 'adapter.safetensors'))).toBe(true);
  }, 300_000);
});
