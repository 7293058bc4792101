import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { client, readEvents, sentimentCsv, tinyJob } from './testing/fixtures.js';

// The service runs as `panda serve` in its own process, so the test can kill it like a crash would.
const MAIN = fileURLToPath(new URL('../../cli/src/main.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const children: ChildProcess[] = [];

async function serve(dir: string): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const child = spawn(process.execPath, ['--conditions=@panda/source', '--import', TSX, MAIN, 'serve', '--dir', dir, '--port', '0', '--checkpoint-every', '4', '--backend', 'wasm', '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4000)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line).url);
    });
    child.once('exit', (code) => reject(new Error(`panda serve exited (${code}): ${err.slice(-500)}`)));
  });
  return { child, url, stderr: () => err };
}

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

describe('jobs survive a service restart', () => {
  it('a job running when the service is killed is marked interrupted, resumes from its checkpoint and finishes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'panda-restart-'));
    const first = await serve(dir);
    let api = client(first.url);
    const train = (await api.upload('train.csv', sentimentCsv(64))).body.id;
    const dev = (await api.upload('dev.csv', sentimentCsv(8, 1))).body.id;
    const job = (await api.post('/api/jobs', tinyJob(train, dev, { epochs: 3, seed: 7 }))).body; // 16 steps an epoch, 48 in all
    // Kill the whole service (SIGKILL: no clean shutdown) once the job has checkpointed at step 8.
    let lastStep = 0;
    await readEvents(first.url, job.id, {
      stop: (e) => e.event === 'progress' && e.data.type === 'log' && e.data.message === 'checkpoint at step 8',
      onEvent: (e) => {
        if (e.event === 'progress' && e.data.type === 'step') lastStep = e.data.step;
      },
    });
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    expect(lastStep).toBeGreaterThanOrEqual(8);
    expect(lastStep).toBeLessThan(48);

    const second = await serve(dir);
    api = client(second.url);
    const interrupted = (await api.get(`/api/jobs/${job.id}`)).body;
    expect(interrupted.status).toBe('interrupted');
    expect(interrupted.error.code).toBe('INTERRUPTED');
    expect(interrupted.progress.step).toBeGreaterThanOrEqual(8);
    expect(second.stderr()).toContain(`marked 1 job(s) interrupted: ${job.id}`);
    // Nothing runs it until asked.
    expect((await api.get('/api/health')).body.jobs).toMatchObject({ running: 0, queued: 0 });

    const resumed = await api.post(`/api/jobs/${job.id}/resume`);
    expect(resumed.status).toBe(202);
    const events = await readEvents(second.url, job.id);
    expect(events.at(-1)!.data).toEqual({ status: 'done' });
    const log = events.filter((e) => e.event === 'progress' && e.data.type === 'log').map((e) => e.data.message);
    const from = Number(/resuming from step (\d+)/.exec(log.join('\n'))?.[1]);
    expect(from).toBeGreaterThanOrEqual(8);
    const done = (await api.get(`/api/jobs/${job.id}`)).body;
    expect(done).toMatchObject({ status: 'done', attempts: 2, error: null });
    expect(done.result).toMatchObject({ steps: 48, resumedFrom: from });
    // The curve has one point per step, the redone steps replaced, not duplicated.
    expect(done.progress.losses.map((p: number[]) => p[0])).toEqual(Array.from({ length: 48 }, (_, i) => i + 1));
    expect(done.progress.evals.map((e: any) => e.epoch)).toEqual([1, 2, 3]);
    const manifest = JSON.parse(readFileSync(join(dir, 'runs', job.id, 'manifest.json'), 'utf8'));
    expect(manifest.resumedFrom).toBe(from);
    expect((await api.post('/api/predict', { items: [{ promptId: job.id, text: 'a wonderful film' }] })).status).toBe(200);

    // A clean stop (SIGTERM) exits 0.
    second.child.kill('SIGTERM');
    const code = await new Promise((r) => second.child.once('exit', (c) => r(c)));
    expect(code).toBe(0);
  });
});
