// Load test of the prediction endpoint: starts `panda serve` in its own process on a fresh data
// directory, trains two small prompts through the API, then sends concurrent prediction requests
// (each batch mixing both prompts) for a fixed time and reports throughput, latency percentiles,
// errors and the service's resident memory over the run.
//
//   node --conditions=@panda/source --import tsx apps/service/bench/load.ts [--seconds 120] [--concurrency 8] [--batch 8] [--out file.json]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '120' },
    concurrency: { type: 'string', default: '8' },
    batch: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '10' },
    out: { type: 'string' },
  },
});
const SECONDS = Number(args.seconds);
const CONCURRENCY = Number(args.concurrency);
const BATCH = Number(args.batch);
const WARMUP = Number(args.warmup);
const MAIN = fileURLToPath(new URL('../../cli/src/main.ts', import.meta.url));

const GOOD = ['a wonderful film', 'great acting and a moving story', 'i loved every minute', 'superb and funny', 'a warm and charming delight'];
const BAD = ['a dull mess', 'boring and far too long', 'i hated it', 'awful script', 'a tedious waste of time'];
const csv = (n: number, off: number) => `text,label\n${Array.from({ length: n }, (_, i) => ((i + off) % 2 ? `"${BAD[(i + off) % 5]}",neg` : `"${GOOD[(i + off) % 5]}",pos`)).join('\n')}\n`;
const QUERIES = ['what a lovely, funny film', 'the plot was dull and the acting wooden', 'i would watch it again tomorrow', 'two hours i will never get back', 'a moving story with great music', 'boring', 'superb', 'an awful, lifeless script'];

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

const pctl = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'panda-load-'));
  const child = spawn(process.execPath, ['--conditions=@panda/source', '--import', 'tsx', MAIN, 'serve', '--dir', dir, '--port', '0', '--backend', 'wasm', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line).url);
    });
    child.once('exit', (code) => reject(new Error(`panda serve exited ${code}: ${stderr}`)));
  });
  try {
    const post = async (path: string, body: unknown, type = 'application/json') => {
      const r = await fetch(url + path, { method: 'POST', headers: { 'content-type': type }, body: typeof body === 'string' ? body : JSON.stringify(body) });
      return { status: r.status, body: (await r.json()) as any };
    };
    const train = (await post('/api/datasets?name=train.csv', csv(64, 0), 'text/csv')).body.id;
    const dev = (await post('/api/datasets?name=dev.csv', csv(16, 1), 'text/csv')).body.id;
    const ids: string[] = [];
    for (const config of [{ method: 'prompt-tuning', promptLength: 8 }, { method: 'deep-prompt-tuning', promptLength: 4 }]) {
      const job = await post('/api/jobs', { task: { name: 'reviews', train, dev, labels: ['neg', 'pos'] }, config: { ...config, epochs: 2, batchSize: 8 } });
      for (;;) {
        const j = (await (await fetch(`${url}/api/jobs/${job.body.id}`)).json()) as any;
        if (j.status === 'done') break;
        if (j.status === 'failed') throw new Error(`training failed: ${j.error.message}`);
        await new Promise((r) => setTimeout(r, 500));
      }
      ids.push(job.body.id);
    }
    const body = JSON.stringify({ items: Array.from({ length: BATCH }, (_, i) => ({ promptId: ids[i % ids.length]!, text: QUERIES[i % QUERIES.length]! })) });
    const one = async (): Promise<{ ms: number; ok: boolean }> => {
      const t0 = performance.now();
      try {
        const r = await fetch(`${url}/api/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        const json = (await r.json()) as { predictions?: unknown[] };
        return { ms: performance.now() - t0, ok: r.status === 200 && json.predictions?.length === BATCH };
      } catch {
        return { ms: performance.now() - t0, ok: false };
      }
    };
    const run = async (seconds: number, record: boolean) => {
      const latencies: number[] = [];
      let errors = 0;
      const end = performance.now() + seconds * 1000;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (performance.now() < end) {
            const r = await one();
            if (!record) continue;
            latencies.push(r.ms);
            if (!r.ok) errors++;
          }
        }),
      );
      return { latencies, errors };
    };
    await run(WARMUP, false);
    const rss: Array<{ t: number; mib: number }> = [{ t: 0, mib: rssMiB(child.pid!) }];
    const load0 = loadavg();
    const t0 = performance.now();
    const sampler = setInterval(() => rss.push({ t: Math.round((performance.now() - t0) / 1000), mib: rssMiB(child.pid!) }), 10_000);
    const { latencies, errors } = await run(SECONDS, true);
    clearInterval(sampler);
    const elapsed = (performance.now() - t0) / 1000;
    rss.push({ t: Math.round(elapsed), mib: rssMiB(child.pid!) });
    const load1 = loadavg();
    latencies.sort((a, b) => a - b);
    const result = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model ?? '?', memGiB: +(totalmem() / 2 ** 30).toFixed(1), node: process.version },
      settings: { seconds: SECONDS, concurrency: CONCURRENCY, batch: BATCH, prompts: ids.length, methods: ['prompt-tuning (8 rows)', 'deep-prompt-tuning (4 rows)'], warmupSeconds: WARMUP },
      requests: latencies.length,
      errors,
      requestsPerSecond: +(latencies.length / elapsed).toFixed(2),
      itemsPerSecond: +((latencies.length * BATCH) / elapsed).toFixed(1),
      latencyMs: { p50: +pctl(latencies, 50).toFixed(1), p90: +pctl(latencies, 90).toFixed(1), p99: +pctl(latencies, 99).toFixed(1), max: +latencies.at(-1)!.toFixed(1) },
      rssMiB: rss.map((r) => ({ t: r.t, mib: +r.mib.toFixed(1) })),
      loadAverage: { before: load0.map((x) => +x.toFixed(2)), after: load1.map((x) => +x.toFixed(2)) },
    };
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    if (args.out) writeFileSync(args.out, JSON.stringify(result, null, 2) + '\n');
  } finally {
    child.kill('SIGTERM');
  }
}

await main();
