// Chaos run of the service on loopback: a bounded mixed load (prediction, uploads, training jobs,
// cancels, resumes) for a fixed time while a job worker is killed, the service is killed twice
// (SIGKILL, no clean-up) and restarted on the same data directory, and a second service is started
// on that directory while the first is live. Afterwards it checks that every job is in a final,
// consistent state, that no run folder had two writers, and that no temporary file is left, and
// prints (and with --out writes) one JSON report.
//
//   node --conditions=@panda/source --import tsx apps/service/bench/chaos.ts [--seconds 120] [--out file.json]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '120' }, out: { type: 'string' } } });
const SECONDS = Number(args.seconds);
const MAIN = fileURLToPath(new URL('../../cli/src/main.ts', import.meta.url));
const NODE_ARGS = ['--conditions=@panda/source', '--import', 'tsx'];

const GOOD = ['a wonderful film', 'great acting and a moving story', 'i loved every minute', 'superb and funny', 'a warm and charming delight'];
const BAD = ['a dull mess', 'boring and far too long', 'i hated it', 'awful script', 'a tedious waste of time'];
const csv = (n: number, off: number) => `text,label\n${Array.from({ length: n }, (_, i) => ((i + off) % 2 ? `"${BAD[(i + off) % 5]}",neg` : `"${GOOD[(i + off) % 5]}",pos`)).join('\n')}\n`;
const QUERIES = ['what a lovely, funny film', 'the plot was dull and the acting wooden', 'i would watch it again tomorrow', 'two hours i will never get back'];
const FINAL = new Set(['done', 'failed', 'cancelled']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pctl = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? +s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!.toFixed(1) : null;
};

interface Running {
  child: ChildProcess;
  url: string;
}

/** Starts `panda serve` on `dir` in its own process; resolves with its URL (or rejects with its exit). */
function serve(dir: string): Promise<Running> {
  const child = spawn(process.execPath, [...NODE_ARGS, MAIN, 'serve', '--dir', dir, '--port', '0', '--backend', 'wasm', '--checkpoint-every', '4', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve({ child, url: (JSON.parse(line) as { url: string }).url });
    });
    child.once('exit', (code, signal) => reject(new Error(`panda serve exited (${signal ?? code}): ${stderr}`)));
  });
}

/** Process ids of the service's job workers (its children running jobWorker). */
function jobWorkers(pid: number): number[] {
  const r = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map(Number)
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('jobWorker');
      } catch {
        return false;
      }
    });
}

/** Every file under `dir` whose name marks an unfinished write. */
function tempFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.tmp(\b|$)|\.tmp-|~$/.test(name)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

interface Tally {
  requests: number;
  byStatus: Record<string, number>;
  /** Responses that are not what the request should get (5xx, unexpected 4xx, network errors while up). */
  errors: Array<{ kind: string; status: number | string; body: string }>;
  latency: Record<string, number[]>;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'panda-chaos-'));
  const load0 = loadavg();
  let svc = await serve(dir);
  const tally: Tally = { requests: 0, byStatus: {}, errors: [], latency: { predict: [], health: [], upload: [], submit: [] } };
  let up = true;
  /** One request; `intended` lists the 4xx statuses this request may rightly get. */
  const call = async (kind: string, path: string, init: RequestInit = {}, intended: number[] = []): Promise<{ status: number; body: any } | undefined> => {
    if (!up) return undefined;
    const url = svc.url;
    const t0 = performance.now();
    try {
      const r = await fetch(url + path, init);
      const text = await r.text();
      const ms = performance.now() - t0;
      tally.requests++;
      tally.byStatus[`${kind} ${r.status}`] = (tally.byStatus[`${kind} ${r.status}`] ?? 0) + 1;
      tally.latency[kind]?.push(ms);
      if (r.status >= 500 || (r.status >= 400 && !intended.includes(r.status))) tally.errors.push({ kind, status: r.status, body: text.slice(0, 300) });
      return { status: r.status, body: text ? JSON.parse(text) : undefined };
    } catch (err) {
      // A request cut by the planned kill of the service is not counted as an error.
      if (up && url === svc.url) tally.errors.push({ kind, status: 'network', body: String(err).slice(0, 300) });
      return undefined;
    }
  };
  const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  // Setup: two trained prompts for prediction.
  const upload = async (n: number, off: number) => (await call('upload', `/api/datasets?name=d${off}.csv`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: csv(n, off) }))!.body.id as string;
  const train = await upload(64, 0);
  const dev = await upload(16, 1);
  const job = (epochs: number, method = 'prompt-tuning') => ({ task: { name: 'reviews', train, dev, labels: ['neg', 'pos'] }, config: { method, promptLength: 4, epochs, batchSize: 8 } });
  const waitFor = async (id: string) => {
    for (;;) {
      const j = await call('poll', `/api/jobs/${id}`);
      if (j && FINAL.has(j.body.status)) return j.body;
      await sleep(500);
    }
  };
  const prompts: string[] = [];
  for (const method of ['prompt-tuning', 'deep-prompt-tuning']) {
    const created = await call('submit', '/api/jobs', json(job(1, method)));
    const done = await waitFor(created!.body.id);
    if (done.status !== 'done') throw new Error(`setup job ${done.id} ended ${done.status}`);
    prompts.push(done.id);
  }

  // The load, with the chaos on a schedule.
  const jobs = new Set<string>();
  const events: Array<{ t: number; event: string }> = [];
  const t0 = performance.now();
  const at = () => Math.round((performance.now() - t0) / 1000);
  const end = t0 + SECONDS * 1000;
  const predictBody = { items: Array.from({ length: 8 }, (_, i) => ({ promptId: prompts[i % 2]!, text: QUERIES[i % QUERIES.length]! })) };
  const loops = [
    // prediction, 4 concurrent clients
    ...Array.from({ length: 4 }, async () => {
      while (performance.now() < end) (await call('predict', '/api/predict', json(predictBody))) ?? (await sleep(200));
    }),
    // health, every 200 ms
    (async () => {
      while (performance.now() < end) {
        await call('health', '/api/health');
        await sleep(200);
      }
    })(),
    // uploads, every 3 s
    (async () => {
      let i = 100;
      while (performance.now() < end) {
        await call('upload', `/api/datasets?name=u${i}.csv`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: csv(32, i++) });
        await sleep(3000);
      }
    })(),
    // jobs every 8 s; every third one is cancelled 3 s later; interrupted ones are resumed
    (async () => {
      let n = 0;
      while (performance.now() < end) {
        const created = await call('submit', '/api/jobs', json(job(3)), [429]);
        if (created?.status === 202) {
          const id = created.body.id as string;
          jobs.add(id);
          if (++n % 3 === 0) void sleep(3000).then(() => call('cancel', `/api/jobs/${id}/cancel`, { method: 'POST' }, [409]));
        }
        for (const id of jobs) {
          const j = await call('poll', `/api/jobs/${id}`);
          if (j?.body.status === 'interrupted') await call('resume', `/api/jobs/${id}/resume`, { method: 'POST' }, [409]);
        }
        await sleep(8000);
      }
    })(),
    // the chaos
    (async () => {
      const killService = async () => {
        up = false;
        svc.child.kill('SIGKILL');
        await new Promise((r) => svc.child.once('exit', r));
        events.push({ t: at(), event: 'service killed (SIGKILL)' });
        svc = await serve(dir);
        up = true;
        events.push({ t: at(), event: 'service restarted' });
      };
      await sleep(0.15 * SECONDS * 1000);
      // A second service on the same directory while the first is live must be refused.
      const second = spawnSync(process.execPath, [...NODE_ARGS, MAIN, 'serve', '--dir', dir, '--port', '0', '--backend', 'wasm'], { encoding: 'utf8', timeout: 60_000 });
      events.push({ t: at(), event: `second service on the same directory: exit ${second.status} (${second.stderr.trim().split('\n').at(-1)?.slice(0, 160)})` });
      await sleep(0.1 * SECONDS * 1000);
      for (let tries = 0; tries < 40; tries++) {
        const workers = jobWorkers(svc.child.pid!);
        if (workers.length) {
          process.kill(workers[0]!, 'SIGKILL');
          events.push({ t: at(), event: `job worker ${workers[0]} killed (SIGKILL)` });
          break;
        }
        await sleep(500);
      }
      await sleep(0.15 * SECONDS * 1000);
      await killService();
      await sleep(0.25 * SECONDS * 1000);
      await killService();
    })(),
  ];
  await Promise.all(loops);
  const loadSeconds = (performance.now() - t0) / 1000;

  // Drain: resume what is interrupted, wait until every job is final.
  const drainStart = performance.now();
  const states: Record<string, any> = {};
  while (performance.now() - drainStart < 600_000) {
    let open = 0;
    for (const id of jobs) {
      const j = await call('poll', `/api/jobs/${id}`);
      if (!j) continue;
      states[id] = j.body;
      if (j.body.status === 'interrupted') await call('resume', `/api/jobs/${id}/resume`, { method: 'POST' }, [409]);
      if (!FINAL.has(j.body.status)) open++;
    }
    if (open === 0) break;
    await sleep(1000);
  }

  // Consistency: final states, typed failures, loadable runs of done jobs, no temp files, the lock.
  const final = Object.values(states);
  const notFinal = final.filter((j) => !FINAL.has(j.status)).map((j) => `${j.id}: ${j.status}`);
  const untypedFailures = final.filter((j) => j.status === 'failed' && (!j.error?.code || j.error.code === 'INTERNAL')).map((j) => `${j.id}: ${j.error?.code} ${j.error?.message}`);
  const doneJobs = final.filter((j) => j.status === 'done');
  const brokenRuns: string[] = [];
  for (const j of doneJobs) {
    const runDir = join(dir, 'runs', j.id);
    const missing = ['adapter.safetensors', 'panda_adapter.json', 'manifest.json'].filter((f) => !existsSync(join(runDir, f)));
    if (missing.length) brokenRuns.push(`${j.id}: missing ${missing.join(', ')}`);
    const p = await call('predict', '/api/predict', json({ items: [{ promptId: j.id, text: QUERIES[0] }] }));
    if (p?.status !== 200) brokenRuns.push(`${j.id}: predict ${p?.status}`);
  }
  const cancelledWithWeights = final.filter((j) => j.status === 'cancelled' && existsSync(join(dir, 'runs', j.id, 'adapter.safetensors'))).length;
  up = false;
  svc.child.kill('SIGTERM');
  await new Promise((r) => svc.child.once('exit', r));
  const leftovers = tempFiles(dir);
  const lockLeft = readdirSync(dir).filter((n) => /lock/i.test(n));

  const report = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? '?', node: process.version, loadBefore: load0.map((x) => +x.toFixed(2)), loadAfter: loadavg().map((x) => +x.toFixed(2)) },
    settings: { seconds: SECONDS, predictClients: 4, predictBatch: 8, healthEveryMs: 200, uploadEverySeconds: 3, jobEverySeconds: 8, cancelEvery: 3 },
    loadSeconds: +loadSeconds.toFixed(1),
    events,
    requests: tally.requests,
    byStatus: tally.byStatus,
    errors: tally.errors.length,
    errorSamples: tally.errors.slice(0, 10),
    latencyMs: Object.fromEntries(Object.entries(tally.latency).map(([k, xs]) => [k, { n: xs.length, p50: pctl(xs, 50), p99: pctl(xs, 99), max: pctl(xs, 100) }])),
    jobs: { submitted: jobs.size, byStatus: final.reduce<Record<string, number>>((a, j) => ((a[j.status] = (a[j.status] ?? 0) + 1), a), {}), cancelledWithWeights },
    checks: {
      everyJobFinal: notFinal.length === 0,
      failuresTyped: untypedFailures.length === 0,
      doneRunsLoadable: brokenRuns.length === 0,
      secondServiceRefused: events.some((e) => e.event.startsWith('second service') && !e.event.includes('exit 0')),
      noTempFiles: leftovers.length === 0,
      lockReleased: lockLeft.length === 0,
    },
    problems: { notFinal, untypedFailures, brokenRuns, leftovers, lockLeft },
    dir,
  };
  process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  if (args.out) writeFileSync(args.out, JSON.stringify(report, null, 2) + '\n');
}

await main();
