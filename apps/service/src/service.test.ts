import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { client, readEvents, sentimentCsv, testService, tinyJob, topicTsv, type SseEvent } from './testing/fixtures.js';

type Service = Awaited<ReturnType<typeof testService>>;

describe('panda service over HTTP', () => {
  let service: Service;
  let api: ReturnType<typeof client>;
  let train: string;
  let dev: string;
  let promptJob: any;
  let probeJob: any;
  let events: SseEvent[];

  beforeAll(async () => {
    service = await testService({ checkpointEvery: 4 });
    api = client(service.url);
    train = (await api.upload('train.csv', sentimentCsv(32))).body.id;
    dev = (await api.upload('dev.csv', sentimentCsv(12, 1))).body.id;
    const created = await api.post('/api/jobs', tinyJob(train, dev, { epochs: 2 }));
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    events = await readEvents(service.url, created.body.id);
    promptJob = (await api.get(`/api/jobs/${created.body.id}`)).body;
    const probe = await api.post('/api/jobs', { ...tinyJob(train, dev, { method: 'linear-probe', epochs: 2 }), task: { name: 'movie-reviews', train, dev, labels: ['neg', 'pos'] } });
    await readEvents(service.url, probe.body.id);
    probeJob = (await api.get(`/api/jobs/${probe.body.id}`)).body;
  });

  afterAll(async () => {
    await service?.close();
  });

  it('reports health, tasks and uploaded datasets', async () => {
    const health = await api.get('/api/health');
    expect(health.body).toMatchObject({ ok: true, backend: 'wasm', jobs: { maxJobs: 1 }, features: { bank: true } });
    const tasks = (await api.get('/api/tasks')).body.tasks;
    expect(tasks.find((t: any) => t.name === 'spam')).toMatchObject({ builtin: true, trainable: true, labels: ['ham', 'spam'] });
    expect(tasks.find((t: any) => t.name === 'stsb')).toMatchObject({ type: 'regression', trainable: false });
    expect(tasks.find((t: any) => t.name === 'copa')).toMatchObject({ type: 'choice', trainable: true });
    const ds = await api.get(`/api/datasets/${train}`);
    expect(ds.body).toMatchObject({ id: train, format: 'csv', rows: 32, columns: ['text', 'label'], badRows: 0 });
    expect((await api.get('/api/datasets')).body.datasets).toHaveLength(2);
  });

  it('trains a job and streams its progress as server-sent events', () => {
    expect(promptJob.status).toBe('done');
    expect(promptJob.attempts).toBe(1);
    const kinds = events.map((e) => (e.event === 'progress' ? `progress:${e.data.type}` : e.event));
    expect(kinds[0]).toBe('snapshot');
    expect(kinds).toContain('progress:start');
    expect(kinds.filter((k) => k === 'progress:step')).toHaveLength(16); // 32 examples / batch 4 × 2 epochs
    expect(kinds.filter((k) => k === 'progress:eval')).toHaveLength(2);
    expect(kinds.at(-1)).toBe('end');
    expect(events.at(-1)!.data).toEqual({ status: 'done' });
    // The stored curve holds every step's loss and both evaluations.
    expect(promptJob.progress.losses.map((p: number[]) => p[0])).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect(promptJob.progress.evals.map((e: any) => e.step)).toEqual([8, 16]);
    expect(promptJob.result.steps).toBe(16);
    expect(promptJob.promptId).toBe(promptJob.id);
  });

  it('lists the trained prompts with their scores', async () => {
    const prompts = (await api.get('/api/prompts')).body.prompts;
    expect(prompts.map((p: any) => p.id).sort()).toEqual([promptJob.id, probeJob.id].sort());
    expect(prompts.find((p: any) => p.id === probeJob.id)).toMatchObject({ task: 'movie-reviews', method: 'linear-probe', promptLength: 0 });
    const p = (await api.get(`/api/prompts/${promptJob.id}`)).body;
    expect(p).toMatchObject({ task: 'toy-sentiment', method: 'prompt-tuning', promptLength: 4, labels: ['neg', 'pos'], steps: 16 });
    expect(p.metrics.devAccuracy).toBe(promptJob.result.metrics.devAccuracy);
  });

  it('predicts with a stored prompt exactly as the run scored its dev set', async () => {
    const devRows = sentimentCsv(12, 1).trim().split('\n').slice(1).map((l) => ({ text: l.slice(1, l.lastIndexOf('"')), label: l.slice(l.lastIndexOf(',') + 1) }));
    for (const job of [promptJob, probeJob]) {
      const r = await api.post('/api/predict', { items: devRows.map((d) => ({ promptId: job.id, text: d.text })) });
      expect(r.status).toBe(200);
      const accuracy = r.body.predictions.filter((p: any, i: number) => p.label === devRows[i]!.label).length / devRows.length;
      expect(accuracy).toBe(job.result.metrics.devAccuracy);
      for (const p of r.body.predictions) expect(p.probabilities.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 5);
    }
  });

  it('answers a batch that mixes prompts in request order, each as if asked alone', async () => {
    const texts = ['superb and funny', 'i hated it', 'a warm and charming delight', 'awful script'];
    const alone = async (id: string) => (await api.post('/api/predict', { items: texts.map((text) => ({ promptId: id, text })) })).body.predictions;
    const a = await alone(promptJob.id);
    const b = await alone(probeJob.id);
    const mixed = await api.post('/api/predict', { items: texts.flatMap((text) => [{ promptId: promptJob.id, text }, { promptId: probeJob.id, text }]) });
    expect(mixed.body.prompts).toBe(2);
    texts.forEach((_, i) => {
      expect(mixed.body.predictions[2 * i]).toEqual(a[i]);
      expect(mixed.body.predictions[2 * i + 1]).toEqual(b[i]);
    });
  });

  it('keeps the run files in the data directory', async () => {
    const manifest = JSON.parse(await readFile(join(service.root, 'runs', promptJob.id, 'manifest.json'), 'utf8'));
    expect(manifest.metrics).toEqual(promptJob.result.metrics);
    expect(manifest.task).toBe('toy-sentiment');
  });

  it('cancels a running job (keeping its best weights) and refuses to cancel or resume a finished one', async () => {
    const tsv = topicTsv(24);
    const t = (await api.upload('topics.tsv', tsv, 'text/tab-separated-values')).body.id;
    const created = await api.post('/api/jobs', { task: { name: 'topics', train: t, dev: t, labels: ['sport', 'food', 'tech'] }, config: { epochs: 50, batchSize: 4, promptLength: 2 } });
    expect(created.status).toBe(202);
    let cancelled = false;
    const stream = await readEvents(service.url, created.body.id, {
      onEvent: (e) => {
        if (!cancelled && e.event === 'progress' && e.data.type === 'step' && e.data.step >= 3) {
          cancelled = true;
          void api.post(`/api/jobs/${created.body.id}/cancel`);
        }
      },
    });
    expect(stream.at(-1)!.data).toEqual({ status: 'cancelled' });
    const job = (await api.get(`/api/jobs/${created.body.id}`)).body;
    expect(job.status).toBe('cancelled');
    expect(job.result.stoppedEarly).toBe(true);
    expect(job.result.steps).toBeLessThan(50 * 15);
    expect(job.promptId).toBe(job.id); // the weights so far were saved
    expect((await api.post(`/api/jobs/${promptJob.id}/cancel`)).status).toBe(409);
    expect((await api.post(`/api/jobs/${promptJob.id}/resume`)).body.error.code).toBe('JOB_STATE');
  });

  it('runs one job at a time and refuses jobs beyond the queue limit with 429', async () => {
    const limited = await testService({ maxJobs: 1, maxQueued: 1 });
    try {
      const c = client(limited.url);
      const ds = (await c.upload('t.csv', sentimentCsv(16))).body.id;
      const first = await c.post('/api/jobs', tinyJob(ds, ds, { epochs: 20 }));
      const second = await c.post('/api/jobs', tinyJob(ds, ds));
      const third = await c.post('/api/jobs', tinyJob(ds, ds));
      expect([first.status, second.status, third.status]).toEqual([202, 202, 429]);
      expect(third.body.error.code).toBe('TOO_MANY_JOBS');
      expect((await c.get(`/api/jobs/${second.body.id}`)).body.status).toBe('queued');
      expect((await c.post(`/api/jobs/${second.body.id}/cancel`)).body.status).toBe('cancelled');
      await c.post(`/api/jobs/${first.body.id}/cancel`);
      await readEvents(limited.url, first.body.id);
      expect((await c.get('/api/jobs')).body.jobs.map((j: any) => j.status).sort()).toEqual(['cancelled', 'cancelled']);
    } finally {
      await limited.close();
    }
  });

  it('stores prompts in the bank, searches it, predicts with bank entries and draws the similarity matrix', async () => {
    const e1 = Array.from({ length: 512 }, (_, i) => Math.sin(i));
    const e2 = Array.from({ length: 512 }, (_, i) => Math.sin(i) + 0.2 * Math.cos(3 * i));
    const added = await api.post('/api/bank', { promptId: promptJob.id, embedding: e1 });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    expect(added.body).toMatchObject({ id: `toy-sentiment/prompt-tuning/${promptJob.id}`, task: 'toy-sentiment', dim: 512, hasAdapter: true });
    expect(added.body.metrics.devAccuracy).toBe(promptJob.result.metrics.devAccuracy);
    expect((await api.post('/api/bank', { promptId: promptJob.id, embedding: e1 })).status).toBe(409);
    expect((await api.post('/api/bank', { promptId: probeJob.id, embedding: e1.slice(0, 100) })).body.error.code).toBe('DIMENSION_MISMATCH');
    expect((await api.post('/api/bank', { promptId: probeJob.id, id: 'movie-reviews/probe', embedding: e2 })).status).toBe(201);

    const list = (await api.get('/api/bank')).body;
    expect(list.size).toBe(2);
    const hits = (await api.post('/api/bank/search', { embedding: e2, k: 2 })).body.hits;
    expect(hits.map((h: any) => h.entry.id)).toEqual(['movie-reviews/probe', added.body.id]);
    expect(hits[0].score).toBeCloseTo(1, 5);
    const like = (await api.post('/api/bank/search', { like: 'movie-reviews/probe' })).body.hits;
    expect(like.map((h: any) => h.entry.task)).toEqual(['toy-sentiment']); // its own task left out

    const sim = (await api.get('/api/bank/similarity')).body;
    expect(sim.tasks).toEqual(['movie-reviews', 'toy-sentiment']);
    expect(sim.matrix[0][0]).toBeCloseTo(1, 5);
    expect(sim.matrix[0][1]).toBeCloseTo(hits[1].score, 4);

    // A bank entry id (with slashes) predicts like the run it was copied from.
    const viaBank = await api.post('/api/predict', { items: [{ promptId: added.body.id, text: 'i loved every minute' }] });
    const viaRun = await api.post('/api/predict', { items: [{ promptId: promptJob.id, text: 'i loved every minute' }] });
    expect(viaBank.body.predictions[0].probabilities).toEqual(viaRun.body.predictions[0].probabilities);

    expect((await api.del(`/api/bank/entries/${encodeURIComponent('movie-reviews/probe')}`)).body).toEqual({ removed: 'movie-reviews/probe' });
    expect((await api.get(`/api/bank/entries/${encodeURIComponent('movie-reviews/probe')}`)).status).toBe(404);
    expect((await api.get('/api/bank')).body.size).toBe(1);
  });

  it('publishes an OpenAPI 3.1 document generated from the route schemas', async () => {
    const doc = (await api.get('/api/openapi.json')).body;
    expect(doc.openapi).toBe('3.1.0');
    const ops = Object.entries(doc.paths).flatMap(([path, methods]: [string, any]) => Object.entries(methods).map(([m, op]: [string, any]) => `${m.toUpperCase()} ${path} ${op.operationId}`));
    expect(ops).toEqual(expect.arrayContaining(['POST /api/jobs createJob', 'GET /api/jobs/{id}/events jobEvents', 'POST /api/predict predict', 'POST /api/bank/search searchBank', 'DELETE /api/bank/entries/{id} removeBankEntry']));
    expect(ops.length).toBe(service.routes.length);
    const create = doc.paths['/api/jobs'].post.requestBody.content['application/json'].schema;
    // The tuning config in the body is the tuner's own schema, descriptions and defaults included.
    expect(create.properties.config.properties.promptLength).toMatchObject({ type: 'integer', minimum: 1, default: 16 });
    expect(create.properties.config.additionalProperties).toBe(false);
    expect(doc.paths['/api/jobs/{id}'].get.parameters[0]).toMatchObject({ name: 'id', in: 'path', required: true });
    expect(doc.paths['/api/predict'].post.responses['404'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
  });
});

describe('prompt transfer over HTTP: train and store, retrieve for an uploaded dataset, PANDA transfer', () => {
  let service: Service;
  let api: ReturnType<typeof client>;

  beforeAll(async () => {
    service = await testService({ maxJobs: 2 });
    api = client(service.url);
  });

  afterAll(async () => {
    await service?.close();
  });

  it('stores trained prompts with task embeddings, retrieves sources for an uploaded target and transfers from the best', async () => {
    const tiny = { method: 'prompt-tuning', promptLength: 4, epochs: 1, batchSize: 8, maxSeqLength: 32, seed: 5 };
    const topics = (await api.upload('topics.tsv', topicTsv(24), 'text/tab-separated-values')).body.id;
    const sources = await Promise.all([
      api.post('/api/jobs', { task: { name: 'topics', train: topics, dev: topics, labels: ['sport', 'food', 'tech'] }, config: tiny, storeInBank: true }),
      api.post('/api/jobs', { task: 'afinn', config: { ...tiny, maxTrainExamples: 24, maxEvalExamples: 24 }, maxTestExamples: 8, storeInBank: true }),
    ]);
    for (const s of sources) {
      expect(s.status, JSON.stringify(s.body)).toBe(202);
      await readEvents(service.url, s.body.id);
      const done = (await api.get(`/api/jobs/${s.body.id}`)).body;
      expect(done.status, JSON.stringify(done.error)).toBe('done');
      expect(done.result.bankId).toMatch(/^(topics|afinn)\/prompt-tuning\/job-/);
    }
    const bank = (await api.get('/api/bank')).body;
    expect(bank.entries.map((e: any) => e.task).sort()).toEqual(['afinn', 'topics']);
    expect(bank.entries.every((e: any) => e.dim === 512 && e.hasAdapter)).toBe(true);

    // The target: an uploaded sentiment dataset.
    const train = (await api.upload('reviews-train.csv', sentimentCsv(24))).body.id;
    const dev = (await api.upload('reviews-dev.csv', sentimentCsv(8, 1))).body.id;
    const target = { name: 'reviews', train, dev, labels: ['neg', 'pos'] };
    const retrieve = await api.post('/api/retrieve', { task: target, config: tiny, k: 5 });
    expect(retrieve.status, JSON.stringify(retrieve.body)).toBe(202);
    await readEvents(service.url, retrieve.body.id);
    const found = (await api.get(`/api/jobs/${retrieve.body.id}`)).body;
    expect(found.status, JSON.stringify(found.error)).toBe('done');
    const hits = found.result.hits;
    expect(hits.map((h: any) => h.task).sort()).toEqual(['afinn', 'topics']);
    expect(hits[0].score).toBeGreaterThanOrEqual(hits[1].score);

    const transfer = await api.post('/api/transfer', { task: target, config: tiny, transfer: { k: 1 } });
    expect(transfer.status, JSON.stringify(transfer.body)).toBe(202);
    await readEvents(service.url, transfer.body.id);
    const report = (await api.get(`/api/jobs/${transfer.body.id}`)).body;
    expect(report.status, JSON.stringify(report.error)).toBe('done');
    // The same probe run and metric as the retrieval: the same best source, the same similarity.
    expect(report.result.sources[0].id).toBe(hits[0].id);
    expect(report.result.sources[0].similarity).toBeCloseTo(hits[0].score, 4);
    expect(report.result.teachers).toHaveLength(1);
    expect(report.promptId).toBe(report.result.student.bankId);
    expect((await api.get(`/api/bank/entries/${encodeURIComponent(report.promptId)}`)).body.task).toBe('reviews');
    const predicted = await api.post('/api/predict', { items: [{ promptId: report.promptId, text: 'superb and funny' }, { promptId: sources[0]!.body.id, text: 'the team won the league title' }] });
    expect(predicted.status).toBe(200);
    expect(predicted.body.prompts).toBe(2);
  });
});
