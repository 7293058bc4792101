/**
 * HTTP hardening: embeddings of the wrong width never reach the bank, prediction runs off the
 * event loop behind a bounded queue, Host and Origin are checked, and job configs that cannot run
 * are refused at submit.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cpSync, mkdtempSync, readdirSync } from 'node:fs';
import type { IncomingMessage, Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadUseLite } from '@panda/backbones';
import { LoadedRun } from './inference/runLoader.js';
import { client, rawRequest, readEvents, sentimentCsv, testService, tinyJob } from './testing/fixtures.js';

type Service = Awaited<ReturnType<typeof testService>>;

/** Texts just under the request's 1 MB limit together: long enough that predicting them takes a while. */
const heavyItems = (promptId: string, n = 16) => Array.from({ length: n }, (_, i) => ({ promptId, text: `${i} ${'a wonderful film and a dull mess '.repeat(600)}`.slice(0, 20_000) }));

/** Resolves to the order in which the promises settled. */
function settleOrder(named: Record<string, Promise<unknown>>): Promise<string[]> {
  const order: string[] = [];
  return Promise.all(Object.entries(named).map(([name, p]) => p.then(() => order.push(name)))).then(() => order);
}

let service: Service;
let api: ReturnType<typeof client>;
let promptId: string;

beforeAll(async () => {
  service = await testService();
  api = client(service.url);
  const ds = (await api.upload('train.csv', sentimentCsv(16))).body.id;
  const job = await api.post('/api/jobs', tinyJob(ds, ds, { method: 'linear-probe' }));
  expect(job.status, JSON.stringify(job.body)).toBe(202);
  await readEvents(service.url, job.body.id);
  promptId = job.body.id;
  expect((await api.get(`/api/jobs/${promptId}`)).body.status).toBe('done');
});

afterAll(async () => {
  await service?.close();
});

describe('the bank checks an embedding against the model before storing it', () => {
  it('refuses a 2-number embedding for a USE-Lite prompt with DIMENSION_MISMATCH and stores nothing; a 512-wide one is then accepted', async () => {
    const bad = await api.post('/api/bank', { promptId, embedding: [0.5, 0.25] });
    expect(bad.status, JSON.stringify(bad.body)).toBe(422);
    expect(bad.body.error).toMatchObject({ code: 'DIMENSION_MISMATCH', details: { expected: 512, actual: 2 } });
    expect((await api.get('/api/bank')).body.size).toBe(0);
    expect(readdirSync(join(service.root, 'bank', 'adapters'))).toEqual([]);
    const good = await api.post('/api/bank', { promptId, embedding: Array.from({ length: 512 }, (_, i) => Math.cos(i)) });
    expect(good.status, JSON.stringify(good.body)).toBe(201);
    expect(good.body.dim).toBe(512);
    expect((await api.del(`/api/bank/entries/${encodeURIComponent(good.body.id)}`)).status).toBe(200);
  });
});

describe('prediction runs off the event loop', () => {
  it('answers /api/health while a long prediction is in flight, and the prediction still comes back whole', async () => {
    // The prompt and the backbone are loaded: what follows is prediction alone.
    expect((await api.post('/api/predict', { items: [{ promptId, text: 'warm up' }] })).status).toBe(200);
    const items = heavyItems(promptId);
    // The health request goes out once the service has the whole prediction request: from then on
    // only the prediction itself is left to do (inside this process, the event loop is blocked by it or not).
    const received = new Promise<void>((resolve) => {
      const server = service.server as unknown as Server;
      const onRequest = (req: IncomingMessage) => {
        if (!req.url?.startsWith('/api/predict')) return;
        server.off('request', onRequest);
        req.once('end', () => resolve());
      };
      server.on('request', onRequest);
    });
    const predict = api.post('/api/predict', { items });
    await received;
    const health = api.get('/api/health');
    const order = await settleOrder({ predict, health });
    expect(order).toEqual(['health', 'predict']);
    expect((await health).status).toBe(200);
    const r = await predict;
    expect(r.status, JSON.stringify(r.body).slice(0, 500)).toBe(200);
    expect(r.body.predictions).toHaveLength(items.length);
  });

  it('predicts bit for bit what the run predicts in this process (the same LoadedRun.predict path)', async () => {
    const texts = ['a wonderful film', 'boring and far too long', 'i loved every minute'];
    const r = await api.post('/api/predict', { items: texts.map((text) => ({ promptId, text })) });
    expect(r.status).toBe(200);
    const backbone = await loadUseLite();
    const run = await LoadedRun.load(join(service.root, 'runs', promptId), backbone);
    try {
      const local = await run.predict(texts.map((text) => ({ text })));
      expect(r.body.predictions.map((p: any) => p.probabilities)).toEqual(local.map((p) => p.probabilities));
      expect(r.body.predictions.map((p: any) => p.label)).toEqual(local.map((p) => p.label));
    } finally {
      run.dispose();
      backbone.dispose();
    }
  });
});

describe('the prediction queue is bounded', () => {
  let limited: Service;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'panda-service-'));
    cpSync(join(service.root, 'runs', promptId), join(dir, 'runs', promptId), { recursive: true });
    limited = await testService({ dir, maxPredictQueue: 1 });
  });
  afterAll(async () => {
    await limited?.close();
  });

  it('answers 503 SERVICE_BUSY while the queue is full, and takes predictions again once it drains', async () => {
    const c = client(limited.url);
    const first = c.post('/api/predict', { items: heavyItems(promptId) });
    await vi.waitFor(() => expect(limited.parts.prompts.pending).toBe(1), { timeout: 60_000, interval: 20 });
    const refused = await c.post('/api/predict', { items: [{ promptId, text: 'a wonderful film' }] });
    expect(refused.status, JSON.stringify(refused.body)).toBe(503);
    expect(refused.body.error.code).toBe('SERVICE_BUSY');
    expect(refused.body.error.message).toMatch(/queue/);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect((await first).status).toBe(200);
    expect(limited.parts.prompts.pending).toBe(0);
    expect((await c.post('/api/predict', { items: [{ promptId, text: 'a wonderful film' }] })).status).toBe(200);
  });
});

describe('Host and Origin checks (no token: the default)', () => {
  it('refuses a request whose Host is not the service (DNS rebinding) with 403, and serves the local names', async () => {
    for (const path of ['/api/health', '/api/jobs', '/']) {
      const r = await rawRequest(service.url, path, { headers: { host: 'evil.example' } });
      expect(r.status, path).toBe(403);
      expect(r.body.error.code).toBe('HOST_FORBIDDEN');
      expect(r.body.error.message).toContain('evil.example');
    }
    expect((await rawRequest(service.url, '/api/health', { headers: { host: `evil.example:${service.port}` } })).status).toBe(403);
    for (const host of [`localhost:${service.port}`, `127.0.0.1:${service.port}`, `[::1]:${service.port}`, 'localhost']) {
      expect((await rawRequest(service.url, '/api/health', { headers: { host } })).status, host).toBe(200);
    }
  });

  it('refuses a cross-origin text/plain upload (a form on another site) with 403 and stores nothing; same-origin and Origin-less uploads work', async () => {
    const before = (await api.get('/api/datasets')).body.datasets.length;
    const send = (origin?: string) =>
      rawRequest(service.url, '/api/datasets?name=x.csv', { method: 'POST', headers: { 'content-type': 'text/plain', ...(origin ? { origin } : {}) }, body: sentimentCsv(4) });
    for (const origin of ['https://evil.example', 'null', `http://localhost:${service.port + 1}`, `https://127.0.0.1:${service.port}`]) {
      const r = await send(origin);
      expect(r.status, origin).toBe(403);
      expect(r.body.error.code).toBe('ORIGIN_FORBIDDEN');
    }
    expect((await api.get('/api/datasets')).body.datasets.length).toBe(before);
    const same = await send(service.url);
    expect(same.status, JSON.stringify(same.body)).toBe(201);
    expect((await send(`http://localhost:${service.port}`)).status).toBe(201);
    expect((await send()).status).toBe(201);
    // Reading is not state-changing: a cross-origin GET is served (the browser keeps the answer from the page).
    expect((await rawRequest(service.url, '/api/health', { headers: { origin: 'https://evil.example' } })).status).toBe(200);
  });

  it('allowedHosts and allowedOrigins widen the allow-lists', async () => {
    const wide = await testService({ allowedHosts: ['panda.internal'], allowedOrigins: ['https://ui.example'] });
    try {
      expect((await rawRequest(wide.url, '/api/health', { headers: { host: `panda.internal:${wide.port}` } })).status).toBe(200);
      expect((await rawRequest(wide.url, '/api/health', { headers: { host: 'evil.example' } })).status).toBe(403);
      const post = (origin: string) => rawRequest(wide.url, '/api/jobs', { method: 'POST', headers: { 'content-type': 'application/json', origin }, body: JSON.stringify({ task: 'sst-9' }) });
      expect((await post('https://ui.example')).body.error.code).toBe('TASK_UNKNOWN'); // past the check
      expect((await post('https://evil.example')).body.error.code).toBe('ORIGIN_FORBIDDEN');
    } finally {
      await wide.close();
    }
  });
});

describe('job configs are checked at submit', () => {
  it.each([
    ['an unparsable template', { template: '{text|shorten} {soft:"It was" {mask}' }, 'TEMPLATE_INVALID'],
    ['a prompt longer than the backbone takes (USE-Lite: 128 positions)', { promptLength: 200 }, 'PROMPT_TOO_LONG'],
    ['an unknown tuning method', { method: 'no-such-method' }, 'CONFIG_INVALID'],
  ])('refuses %s with 400 at once and queues nothing', async (_what, config, code) => {
    const ds = (await api.get('/api/datasets')).body.datasets[0].id;
    const before = (await api.get('/api/jobs')).body.jobs.length;
    for (const path of ['/api/jobs', '/api/retrieve']) {
      const r = await api.post(path, tinyJob(ds, ds, config));
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(r.body.error.code).toBe(code);
    }
    expect((await api.get('/api/jobs')).body.jobs.length).toBe(before);
  });
});
