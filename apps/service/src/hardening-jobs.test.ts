import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createService, startService } from './service.js';
import { client, readEvents, sentimentCsv, testService, tinyJob } from './testing/fixtures.js';

type Service = Awaited<ReturnType<typeof testService>>;
const open: Array<{ close(): Promise<void> }> = [];
const track = <T extends { close(): Promise<void> }>(s: T): T => (open.push(s), s);

const children: ChildProcess[] = [];

afterEach(async () => {
  for (const s of open.splice(0).reverse()) await s.close().catch(() => {});
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

// `panda serve` in its own process, as in restart.test.ts.
const MAIN = fileURLToPath(new URL('../../cli/src/main.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Starts `panda serve`; resolves with its URL once it listens, or with its exit code and stderr when it stops first. */
function serve(dir: string, port = 0): Promise<{ child: ChildProcess; url?: string; code?: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--conditions=@panda/source', '--import', TSX, MAIN, 'serve', '--dir', dir, '--port', String(port), '--backend', 'wasm', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((resolve) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve({ child, url: JSON.parse(line).url, stderr: err });
    });
    child.once('exit', (code) => resolve({ child, code, stderr: err }));
  });
}

const tempDir = () => mkdtempSync(join(tmpdir(), 'panda-hardening-'));

/** The job worker processes this test process forked (the service runs in-process). */
function workerPids(): number[] {
  const out = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => !!m && Number(m[2]) === process.pid && m[3]!.includes('jobWorker'))
    .map((m) => Number(m[1]));
}

/** Uploads a train and a dev file; returns their ids. */
async function upload(service: Service, trainRows = 64): Promise<{ api: ReturnType<typeof client>; train: string; dev: string }> {
  const api = client(service.url);
  const train = (await api.upload('train.csv', sentimentCsv(trainRows))).body.id;
  const dev = (await api.upload('dev.csv', sentimentCsv(8, 1))).body.id;
  return { api, train, dev };
}

describe('the service data directory is locked to one live service', () => {
  it('refuses a second service on a live service’s directory with DIR_LOCKED naming its pid, and leaves its running job running', async () => {
    const first = track(await testService({ checkpointEvery: 4 }));
    const { api, train, dev } = await upload(first);
    const job = (await api.post('/api/jobs', tinyJob(train, dev, { epochs: 40 }))).body;
    await readEvents(first.url, job.id, { stop: (e) => e.event === 'progress' && e.data.type === 'step' });

    const second = createService({ dir: first.root, backend: 'wasm' });
    second.then((s) => track(s), () => {});
    await expect(second).rejects.toMatchObject({ name: 'PandaError', code: 'DIR_LOCKED', message: expect.stringContaining(`pid ${process.pid}`) });
    // The second service did not touch the first one's jobs: the job still runs and can finish.
    expect((await api.get(`/api/jobs/${job.id}`)).body.status).toBe('running');
    await api.post(`/api/jobs/${job.id}/cancel`);
    const events = await readEvents(first.url, job.id);
    expect(events.at(-1)!.data).toEqual({ status: 'cancelled' });
  });

  it('panda serve refuses a directory another panda serve holds and a port in use, with clear errors, and leaves the first one’s job running', async () => {
    const dir = tempDir();
    const first = await serve(dir);
    expect(first.url, first.stderr).toBeDefined();
    const api = client(first.url!);
    const train = (await api.upload('train.csv', sentimentCsv(64))).body.id;
    const dev = (await api.upload('dev.csv', sentimentCsv(8, 1))).body.id;
    const job = (await api.post('/api/jobs', tinyJob(train, dev, { epochs: 40 }))).body;
    await readEvents(first.url!, job.id, { stop: (e) => e.event === 'progress' && e.data.type === 'step' });

    const second = await serve(dir);
    expect(second.url).toBeUndefined();
    expect(second.code).not.toBe(0);
    // `panda serve --json` reports errors as one JSON object on stderr
    expect(second.stderr).toContain('"code":"DIR_LOCKED"');
    expect(second.stderr).toContain(`pid ${first.child.pid}`);
    expect(second.stderr).not.toContain('marked 1 job(s) interrupted');
    expect((await api.get(`/api/jobs/${job.id}`)).body.status).toBe('running');

    const port = Number(new URL(first.url!).port);
    const other = tempDir();
    const clash = await serve(other, port);
    expect(clash.url).toBeUndefined();
    expect(clash.code).not.toBe(0);
    expect(clash.stderr).toContain('"code":"CONFIG_INVALID"');
    expect(clash.stderr).toContain(`port ${port}`);
    expect(clash.stderr).not.toMatch(/^\s+at /m); // a message, not a stack
    expect(existsSync(join(other, 'service.lock'))).toBe(false);

    await api.post(`/api/jobs/${job.id}/cancel`);
    expect((await readEvents(first.url!, job.id)).at(-1)!.data).toEqual({ status: 'cancelled' });
  });

  it('takes over a stale lock whose process is gone, and releases the lock on close', async () => {
    const dir = tempDir();
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const lockFile = join(dir, 'service.lock');
    writeFileSync(lockFile, JSON.stringify({ pid: dead, host: hostname(), startedAt: new Date(0).toISOString() }));
    const service = await testService({ dir });
    expect(JSON.parse(readFileSync(lockFile, 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
    await service.close();
    expect(existsSync(lockFile)).toBe(false);
    // Released: another service can use the directory now.
    track(await testService({ dir }));
    expect(JSON.parse(readFileSync(lockFile, 'utf8')).pid).toBe(process.pid);
  });

  it('turns a port in use into CONFIG_INVALID naming the port, and frees the directory again', async () => {
    const first = track(await testService());
    const dir = tempDir();
    const clash = startService({ dir, port: first.port, backend: 'wasm' });
    clash.then((s) => track(s), () => {});
    await expect(clash).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining(`port ${first.port}`) });
    // The failed start released its lock.
    expect(existsSync(join(dir, 'service.lock'))).toBe(false);
    const again = track(await testService({ dir }));
    expect((await client(again.url).get('/api/health')).status).toBe(200);
  });
});

describe('job workers that die', () => {
  it('a killed job worker leaves the job interrupted; resume continues from its checkpoint and finishes', async () => {
    const service = track(await testService({ checkpointEvery: 4 }));
    const { api, train, dev } = await upload(service);
    const job = (await api.post('/api/jobs', tinyJob(train, dev, { epochs: 3, seed: 7 }))).body; // 48 steps
    await readEvents(service.url, job.id, { stop: (e) => e.event === 'progress' && e.data.type === 'log' && e.data.message === 'checkpoint at step 8' });
    const pids = workerPids();
    expect(pids).toHaveLength(1);
    process.kill(pids[0]!, 'SIGKILL');
    const events = await readEvents(service.url, job.id);
    expect(events.at(-1)!.data).toEqual({ status: 'interrupted' });
    const killed = (await api.get(`/api/jobs/${job.id}`)).body;
    expect(killed).toMatchObject({ status: 'interrupted', error: { code: 'INTERRUPTED' } });
    expect(killed.error.message).toContain('SIGKILL');

    const resumed = await api.post(`/api/jobs/${job.id}/resume`);
    expect(resumed.status).toBe(202);
    const log = (await readEvents(service.url, job.id)).filter((e) => e.event === 'progress' && e.data.type === 'log').map((e) => e.data.message);
    const from = Number(/resuming from step (\d+)/.exec(log.join('\n'))?.[1]);
    expect(from).toBeGreaterThanOrEqual(8);
    const done = (await api.get(`/api/jobs/${job.id}`)).body;
    expect(done).toMatchObject({ status: 'done', attempts: 2, error: null, result: { steps: 48, resumedFrom: from } });
  });
});

describe('cancel keeps the weights', () => {
  it('saves the best weights when the final (test) evaluation outlasts the grace period', async () => {
    const service = track(await testService({ checkpointEvery: 1, cancelGraceSeconds: 1 }));
    const { api, train, dev } = await upload(service, 32);
    // A test set large enough that scoring it takes longer than the 1 s grace.
    const test = (await api.upload('test.csv', sentimentCsv(TEST_ROWS, 3))).body.id;
    const request = tinyJob(train, dev, { epochs: 200 });
    const job = (await api.post('/api/jobs', { ...request, task: { ...request.task, test } })).body;
    expect(job.status, JSON.stringify(job)).toBe('queued');
    await readEvents(service.url, job.id, { stop: (e) => e.event === 'progress' && e.data.type === 'step' && e.data.step >= 2 });
    await api.post(`/api/jobs/${job.id}/cancel`);
    const events = await readEvents(service.url, job.id);
    expect(events.at(-1)!.data).toEqual({ status: 'cancelled' });
    const cancelled = (await api.get(`/api/jobs/${job.id}`)).body;
    expect(cancelled.error.message).toContain('best weights so far were saved');
    expect(cancelled.result.stoppedEarly).toBe(true);
    expect(cancelled.promptId).toBe(job.id);
    expect(existsSync(join(service.root, 'runs', job.id, 'adapter.safetensors'))).toBe(true);
  });
});

const TEST_ROWS = 3000;

describe('job errors name files inside the data directory only', () => {
  it('reports a bad uploaded file relative to the data directory, never by its absolute path', async () => {
    const service = track(await testService());
    const { api, train, dev } = await upload(service, 8);
    const request = tinyJob(train, dev);
    const job = (await api.post('/api/jobs', { ...request, task: { ...request.task, textColumn: 'sentence' } })).body;
    const events = await readEvents(service.url, job.id);
    expect(events.at(-1)!.data).toEqual({ status: 'failed' });
    const failed = (await api.get(`/api/jobs/${job.id}`)).body;
    expect(failed.error.code).toBe('DATA_ROW_INVALID');
    expect(failed.error.message).toContain(`uploads/${train}.csv:1`);
    expect(failed.error.message).not.toContain(service.root);
    expect(failed.error.message).not.toMatch(/(^|[\s('"])\/\w/);
    const listed = (await api.get('/api/jobs')).body.jobs.find((j: any) => j.id === job.id);
    expect(listed.error.message).not.toContain(service.root);
  });
});
