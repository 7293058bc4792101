// Throughput of the experiment grid on the queue against the local pool, and the queue's overhead
// per job. On a fresh redis-server (loopback), one after another in rounds (local, 1, 2, 4 worker
// processes; round 0 is a warm-up (one local and one queue grid) and is not reported):
// - grid: the same 3 × 3 grid (spam, afinn, mr; prompt tuning, PoT, PANDA: 15 cells) run by
//   `panda grid` with its local pool (2 processes, one per core), and by `panda grid --queue` with
//   one `panda worker --processes N`; cells per hour from the coordinator's wall time;
// - overhead: 12 small jobs one at a time (one process), through the local pool and through the
//   queue; overhead per job = (wall time − the jobs' own run time in their process) / jobs.
//
//   PANDA_DATA_DIR=../shared/data node --conditions=@panda/source --import tsx apps/cli/bench/queue.ts [--rounds 2] [--out docs/results/queue.json]
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { queueRunner } from '@panda/queue';
import { startTestRedis } from '@panda/queue/testing';
import { startQueueWorker } from '@panda/queue';
import { tuneMany, type TuneJob } from '@panda/tuner';

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '2' }, out: { type: 'string' } } });
const ROUNDS = Number(args.rounds);
const BIN = fileURLToPath(new URL('../bin/panda.js', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'panda-queue-bench-'));
const spec = {
  sources: ['spam', 'afinn', 'mr'],
  targets: ['spam', 'afinn', 'mr'],
  methods: ['prompt-tuning', 'pot', 'panda'],
  tuning: { method: 'prompt-tuning', promptLength: 4, epochs: 2, batchSize: 8, maxTrainExamples: 64, maxEvalExamples: 32, maxSeqLength: 32 },
  embedding: { samples: 8, maxSeqLength: 32 },
  seed: 11,
  workers: 2,
};
writeFileSync(join(root, 'grid.json'), JSON.stringify(spec));

function run(argv: string[], untilLine?: RegExp): { done: Promise<number>; ready: Promise<void>; kill: (s?: NodeJS.Signals) => void } {
  const child = spawn(process.execPath, [BIN, ...argv], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PANDA_BACKEND: 'wasm' } });
  let err = '';
  let readyResolve!: () => void;
  const ready = new Promise<void>((r) => (readyResolve = r));
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    if (untilLine?.test(err)) readyResolve();
  });
  const done = new Promise<number>((resolve, reject) =>
    child.once('exit', (code) => (code === 0 || argv[0] === 'worker' ? resolve(code ?? 0) : reject(new Error(`panda ${argv.join(' ')} exited ${code}: ${err.slice(-2000)}`)))),
  );
  return { done, ready, kill: (s = 'SIGTERM') => child.kill(s) };
}

async function gridOnce(kind: string, round: number, url: string): Promise<number> {
  const out = join(root, `grid-${kind}-${round}`);
  const t0 = performance.now();
  if (kind === 'local') {
    await run(['grid', '-c', join(root, 'grid.json'), '-o', out]).done;
    return (performance.now() - t0) / 1000;
  }
  const processes = Number(kind.slice(1));
  const worker = run(['worker', '--queue', url, '--processes', String(processes), '--dir', join(root, `w-${kind}-${round}`)], /worker .* process\(es\)/);
  await worker.ready;
  const t1 = performance.now();
  await run(['grid', '-c', join(root, 'grid.json'), '-o', out, '--queue', url]).done;
  const seconds = (performance.now() - t1) / 1000;
  worker.kill('SIGTERM');
  await worker.done;
  return seconds;
}

async function overheadOnce(kind: 'local' | 'queue', round: number, url: string): Promise<{ wall: number; inProcess: number; jobs: number }> {
  const jobs: TuneJob[] = Array.from({ length: 12 }, (_, i) => ({ task: 'spam', config: { method: 'prompt-tuning', promptLength: 4, epochs: 1, batchSize: 8, maxTrainExamples: 8, maxEvalExamples: 8, maxSeqLength: 16, seed: 100 * round + i }, evaluateTest: false, label: `o${i}` }));
  if (kind === 'local') {
    const t0 = performance.now();
    const out = await tuneMany(jobs, { workers: 1 });
    return { wall: (performance.now() - t0) / 1000, inProcess: out.reduce((s, o) => s + o.seconds, 0), jobs: jobs.length };
  }
  const worker = await startQueueWorker({ url, workDir: join(root, `ow-${round}`), processes: 1, queueName: 'overhead' });
  const t0 = performance.now();
  const out = await queueRunner({ url, queueName: 'overhead' })(jobs);
  const wall = (performance.now() - t0) / 1000;
  await worker.close();
  return { wall, inProcess: out.reduce((s, o) => s + o.seconds, 0), jobs: jobs.length };
}

const redis = await startTestRedis();
const started = new Date().toISOString();
const load = [loadavg()[0]];
const grid: Record<string, number[]> = { local: [], q1: [], q2: [], q4: [] };
const overhead: Record<string, Array<{ wall: number; inProcess: number; jobs: number }>> = { local: [], queue: [] };
try {
  for (let round = 0; round <= ROUNDS; round++) {
    // Round 0 warms up (file caches, the model's first load) with one grid of each path.
    for (const kind of round === 0 ? ['local', 'q1'] : Object.keys(grid)) {
      const s = await gridOnce(kind, round, redis.url);
      process.stderr.write(`round ${round} grid ${kind}: ${s.toFixed(1)} s (load ${loadavg()[0].toFixed(2)})\n`);
      if (round > 0) grid[kind]!.push(s);
    }
    for (const kind of ['local', 'queue'] as const) {
      const o = await overheadOnce(kind, round, redis.url);
      process.stderr.write(`round ${round} overhead ${kind}: wall ${o.wall.toFixed(2)} s, in process ${o.inProcess.toFixed(2)} s\n`);
      if (round > 0) overhead[kind]!.push(o);
    }
    load.push(loadavg()[0]);
  }
} finally {
  await redis.dispose();
}
const cells = 15;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const report = {
  started,
  finished: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
  load1AtRoundEnds: load.map((l) => Number(l.toFixed(2))),
  spec,
  rounds: ROUNDS,
  grid: Object.fromEntries(Object.entries(grid).map(([k, xs]) => [k, { seconds: xs.map((x) => Number(x.toFixed(1))), cellsPerHour: xs.map((x) => Math.round((cells * 3600) / x)) }])),
  overheadMsPerJob: Object.fromEntries(Object.entries(overhead).map(([k, xs]) => [k, xs.map((o) => Math.round(((o.wall - o.inProcess) / o.jobs) * 1000))])),
  medianCellsPerHour: Object.fromEntries(Object.entries(grid).map(([k, xs]) => [k, Math.round((cells * 3600) / median(xs))])),
};
const json = JSON.stringify(report, null, 2) + '\n';
if (args.out) writeFileSync(args.out, json);
process.stdout.write(json);
process.exit(0);
