import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { cpSync, mkdtempSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { client, readEvents, sentimentCsv, testService, tinyJob } from './testing/fixtures.js';

const TOKEN = 'hostile-test-token-1234';

/** Every file under the data directory with its size and modification time (the WAL's shared-memory index aside). */
function tree(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const s = statSync(p);
      if (s.isDirectory()) walk(p);
      else if (!name.endsWith('-shm')) out.push(`${relative(root, p)} ${s.size} ${s.mtimeMs}`);
    }
  };
  walk(root);
  return out.sort();
}

/** One raw HTTP/1.1 request (no URL normalisation by a client), returning the status code. */
function rawStatus(port: number, requestLine: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`${requestLine}\r\nHost: localhost\r\nAuthorization: Bearer ${TOKEN}\r\nConnection: close\r\n\r\n`));
    let data = '';
    socket.on('data', (c) => (data += c.toString()));
    socket.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(data)?.[1] ?? 0)));
    socket.on('error', reject);
  });
}

describe('hostile and malformed requests', () => {
  let service: Awaited<ReturnType<typeof testService>>;
  let api: ReturnType<typeof client>;
  let promptId: string;
  let datasetId: string;
  const table: Array<{ request: string; status: number; code: string }> = [];

  beforeAll(async () => {
    service = await testService({ token: TOKEN, maxJsonBytes: 16_384, maxUploadBytes: 8192, maxPredictItems: 8 });
    api = client(service.url, TOKEN);
    datasetId = (await api.upload('train.csv', sentimentCsv(16))).body.id;
    const job = await api.post('/api/jobs', tinyJob(datasetId, datasetId, { method: 'linear-probe' }));
    await readEvents(service.url, job.body.id, { token: TOKEN });
    promptId = job.body.id;
    expect((await api.get(`/api/jobs/${promptId}`)).body.status).toBe('done');
    expect((await api.post('/api/bank', { promptId, embedding: Array.from({ length: 512 }, (_, i) => Math.cos(i)) })).status).toBe(201);
  });

  afterAll(async () => {
    await service?.close();
    if (process.env.PANDA_HOSTILE_REPORT) writeFileSync(process.env.PANDA_HOSTILE_REPORT, JSON.stringify(table, null, 2) + '\n');
  });

  const anon = () => client(service.url);
  const wrong = () => client(service.url, 'not-the-token-0000');
  const longText = 'x'.repeat(17_000);
  const cases: Array<[string, () => Promise<{ status: number; body: any }>, number, string]> = [
    ['GET /api/jobs without a token', () => anon().get('/api/jobs'), 401, 'UNAUTHORIZED'],
    ['POST /api/predict with a wrong token', () => wrong().post('/api/predict', { items: [{ promptId, text: 'hi' }] }), 401, 'UNAUTHORIZED'],
    ['POST /api/jobs with body `{"task": "spam",` (bad JSON)', () => api.raw('/api/jobs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"task": "spam",' }), 400, 'BAD_JSON'],
    ['POST /api/jobs with config.epochs "three" (wrong type)', () => api.post('/api/jobs', { task: 'spam', config: { epochs: 'three' } }), 400, 'BAD_REQUEST'],
    ['POST /api/jobs with config.epochs 0 (out of range)', () => api.post('/api/jobs', { task: 'spam', config: { epochs: 0 } }), 400, 'BAD_REQUEST'],
    ['POST /api/jobs with an unknown field', () => api.post('/api/jobs', { task: 'spam', shell: 'rm -rf /' }), 400, 'BAD_REQUEST'],
    ['POST /api/jobs with an unknown task name', () => api.post('/api/jobs', { task: 'sst-9' }), 404, 'TASK_UNKNOWN'],
    ['POST /api/jobs with stsb (a regression task)', () => api.post('/api/jobs', { task: 'stsb' }), 400, 'BAD_REQUEST'],
    ['POST /api/transfer with transfer.k 0', () => api.post('/api/transfer', { task: 'spam', transfer: { k: 0 } }), 400, 'BAD_REQUEST'],
    ['POST /api/retrieve with dev "../uploads/x"', () => api.post('/api/retrieve', { task: { train: datasetId, dev: '../uploads/x', labels: ['a', 'b'] } }), 400, 'BAD_REQUEST'],
    ['POST /api/jobs with train "../../etc/passwd"', () => api.post('/api/jobs', { task: { train: '../../etc/passwd', dev: datasetId, labels: ['a', 'b'] } }), 400, 'BAD_REQUEST'],
    ['POST /api/jobs with train "/etc/passwd"', () => api.post('/api/jobs', { task: { train: '/etc/passwd', dev: datasetId, labels: ['a', 'b'] } }), 400, 'BAD_REQUEST'],
    ['POST /api/jobs with an unknown dataset id', () => api.post('/api/jobs', { task: { train: 'ds-nope', dev: datasetId, labels: ['a', 'b'] } }), 404, 'ENTRY_UNKNOWN'],
    ['POST /api/jobs as text/plain', () => api.raw('/api/jobs', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"task":"spam"}' }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['POST /api/predict with a 17 kB body (limit 16 kB)', () => api.post('/api/predict', { items: [{ promptId, text: longText }] }), 413, 'PAYLOAD_TOO_LARGE'],
    ['POST /api/datasets with a 9 kB file (limit 8 kB)', () => api.upload('big.csv', `text,label\n${'"a",pos\n'.repeat(1200)}`), 413, 'PAYLOAD_TOO_LARGE'],
    ['POST /api/datasets with invalid UTF-8', () => api.raw('/api/datasets?name=bin', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: new Uint8Array([0x74, 0x65, 0x78, 0x74, 0x0a, 0xff, 0xfe, 0x0a]) }), 400, 'BAD_REQUEST'],
    ['POST /api/datasets?name=../../x.csv', () => api.upload('../../x.csv', 'text,label\n"a",pos\n'), 400, 'BAD_REQUEST'],
    ['POST /api/datasets with only a header row', () => api.upload('empty.csv', 'text,label\n'), 400, 'BAD_REQUEST'],
    ['POST /api/predict with an unknown prompt id', () => api.post('/api/predict', { items: [{ promptId: 'job-nope', text: 'hi' }] }), 404, 'ENTRY_UNKNOWN'],
    ['POST /api/predict mixing a known and an unknown prompt id', () => api.post('/api/predict', { items: [{ promptId, text: 'hi' }, { promptId: 'job-nope', text: 'hi' }] }), 404, 'ENTRY_UNKNOWN'],
    ['POST /api/predict with promptId "../../runs/x"', () => api.post('/api/predict', { items: [{ promptId: '../../runs/x', text: 'hi' }] }), 400, 'BAD_REQUEST'],
    ['POST /api/predict with promptId "/etc/passwd"', () => api.post('/api/predict', { items: [{ promptId: '/etc/passwd', text: 'hi' }] }), 400, 'BAD_REQUEST'],
    ['POST /api/predict with an empty text', () => api.post('/api/predict', { items: [{ promptId, text: '' }] }), 400, 'BAD_REQUEST'],
    ['POST /api/predict with 9 items (limit 8)', () => api.post('/api/predict', { items: Array.from({ length: 9 }, () => ({ promptId, text: 'hi' })) }), 400, 'BAD_REQUEST'],
    ['POST /api/predict with items as an object', () => api.post('/api/predict', { items: { promptId, text: 'hi' } }), 400, 'BAD_REQUEST'],
    ['GET /api/jobs/..%2F..%2Fjobs.sqlite', () => api.get('/api/jobs/..%2F..%2Fjobs.sqlite'), 400, 'BAD_REQUEST'],
    ['GET /api/datasets/..%2Fjobs', () => api.get('/api/datasets/..%2Fjobs'), 400, 'BAD_REQUEST'],
    ['GET /api/prompts/%2E%2E (fetch resolves it to /api/)', () => api.get('/api/prompts/%2E%2E'), 404, 'NOT_FOUND'],
    ['GET /api/prompts/..%5C..%5Cjobs.sqlite', () => api.get('/api/prompts/..%5C..%5Cjobs.sqlite'), 400, 'BAD_REQUEST'],
    ['GET /api/bank/entries/a%2F..%2F..%2Fb', () => api.get('/api/bank/entries/a%2F..%2F..%2Fb'), 400, 'BAD_REQUEST'],
    ['DELETE /api/bank/entries/nope', () => api.del('/api/bank/entries/nope'), 404, 'ENTRY_UNKNOWN'],
    ['POST /api/bank with promptId "../runs"', () => api.post('/api/bank', { promptId: '../runs', embedding: [1, 2] }), 400, 'BAD_REQUEST'],
    ['POST /api/bank with a 3-d embedding (bank holds 512-d)', () => api.post('/api/bank', { promptId, id: 'x/y', embedding: [1, 2, 3] }), 422, 'DIMENSION_MISMATCH'],
    ['POST /api/bank with the same entry again', () => api.post('/api/bank', { promptId, embedding: Array.from({ length: 512 }, (_, i) => Math.cos(i)) }), 409, 'CONFIG_INVALID'],
    ['POST /api/bank/search with neither embedding nor like', () => api.post('/api/bank/search', { k: 3 }), 400, 'BAD_REQUEST'],
    ['GET /api/jobs/job-nope', () => api.get('/api/jobs/job-nope'), 404, 'NOT_FOUND'],
    ['POST /api/jobs/job-nope/cancel', () => api.post('/api/jobs/job-nope/cancel'), 404, 'NOT_FOUND'],
    ['POST /api/jobs/<done job>/resume', () => api.post(`/api/jobs/${promptId}/resume`), 409, 'JOB_STATE'],
    ['GET /api/jobs?status=exploded', () => api.get('/api/jobs?status=exploded'), 400, 'BAD_REQUEST'],
    ['DELETE /api/jobs', () => api.del('/api/jobs'), 404, 'NOT_FOUND'],
  ];

  it.each(cases.map(([name, fn, status, code]) => ({ name, fn, status, code })))('$name → $status $code, and changes nothing', async ({ name, fn, status, code }) => {
    const before = { files: tree(service.root), jobs: (await api.get('/api/jobs')).body, bank: (await api.get('/api/bank')).body, datasets: (await api.get('/api/datasets')).body };
    const r = await fn();
    table.push({ request: name, status: r.status, code: r.body?.error?.code ?? '' });
    expect(r.status, JSON.stringify(r.body)).toBe(status);
    expect(r.body.error.code).toBe(code);
    expect(typeof r.body.error.message).toBe('string');
    expect(r.body.error.message).not.toContain(service.root); // no server paths in answers
    const after = { files: tree(service.root), jobs: (await api.get('/api/jobs')).body, bank: (await api.get('/api/bank')).body, datasets: (await api.get('/api/datasets')).body };
    expect(after).toEqual(before);
  });

  it('answers health without a token, and the page without data', async () => {
    expect((await anon().get('/api/health')).status).toBe(200);
    const page = await anon().get('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
  });

  it('serves no file outside the page allow-list, whatever the raw request path', async () => {
    const before = tree(service.root);
    for (const line of ['GET /../../../../etc/passwd HTTP/1.1', 'GET /..%2F..%2Fpackage.json HTTP/1.1', 'GET /app.js/../../package.json HTTP/1.1', 'GET /%2e%2e/%2e%2e/jobs.sqlite HTTP/1.1', 'GET /public/../src/service.ts HTTP/1.1', 'GET /api/prompts/%2E%2E HTTP/1.1', 'GET /api/datasets/%2E%2E%2F%2E%2E%2Fjobs.sqlite HTTP/1.1']) {
      const status = await rawStatus(service.port, line);
      table.push({ request: `raw \`${line.replace(' HTTP/1.1', '')}\``, status, code: '' });
      expect([400, 404]).toContain(status);
    }
    expect(tree(service.root)).toEqual(before);
  });

  it('refuses a prompt folder that a symbolic link points outside the data directory (403)', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'panda-outside-'));
    cpSync(join(service.root, 'runs', promptId), join(outside, 'run'), { recursive: true });
    symlinkSync(join(outside, 'run'), join(service.root, 'runs', 'evil'));
    const r = await api.post('/api/predict', { items: [{ promptId: 'evil', text: 'hi' }] });
    table.push({ request: 'POST /api/predict with promptId "evil" (runs/evil → a folder outside, via a symlink)', status: r.status, code: r.body?.error?.code ?? '' });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('PATH_FORBIDDEN');
  });

  it('still predicts normally after all that', async () => {
    const r = await api.post('/api/predict', { items: [{ promptId, text: 'a wonderful film' }] });
    expect(r.status).toBe(200);
    expect(['neg', 'pos']).toContain(r.body.predictions[0].label);
  });
});
