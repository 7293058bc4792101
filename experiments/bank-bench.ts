/**
 * Prompt bank benchmark: HNSW recall@10 against exact cosine search, query latency, insert/build
 * time, save and reopen time, at 10k and 100k stored 512-d embeddings. Everything goes through the
 * full bank (`PromptBank`): entries are inserted with `addMany` in batches (one SQLite transaction
 * and one incremental HNSW update per batch; the index file is written once, on close), and every
 * timed query is `bank.query()` end to end (SQLite change check, HNSW search, fetching and decoding
 * the k result rows). The exact top-10 comes from an independent brute-force cosine in this script.
 *
 *   node --conditions=@panda/source --import tsx experiments/bank-bench.ts \
 *     [--sizes 10000,100000] [--queries 200] [--dim 512] [--ef 10,50,100,200] [--data random,clustered] \
 *     [--batch 5000] [--M 16] [--efConstruction 200] [--out /tmp/bank-bench.json]
 *
 * Data: `random`: i.i.d. Gaussian vectors, L2-normalised (the hard case: in 512 dimensions every
 * point is nearly orthogonal to every other, neighbourhoods are flat). `clustered`: 100 random
 * centres, each point = centre + Gaussian noise (per-component σ = 1/√dim, so a point's cosine to its
 * centre is about 0.7), queries drawn the same way (closer to what task embeddings look like).
 * Tasks: entry i has task `t<i mod 1000>`; the filtered run excludes one task per query.
 *
 * Imports the bank as @panda/bank (a dependency of the experiments package).
 */
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Rng } from '@panda/core';
import { PromptBank, type BankEntryInput } from '@panda/bank';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,100000' },
    queries: { type: 'string', default: '200' },
    dim: { type: 'string', default: '512' },
    ef: { type: 'string', default: '10,50,100,200' },
    data: { type: 'string', default: 'random,clustered' },
    batch: { type: 'string', default: '5000' },
    M: { type: 'string', default: '16' },
    efConstruction: { type: 'string', default: '200' },
    out: { type: 'string' },
  },
});
const sizes = values.sizes.split(',').map(Number);
const nQueries = Number(values.queries);
const dim = Number(values.dim);
const efs = values.ef.split(',').map(Number);
const kinds = values.data.split(',') as Array<'random' | 'clustered'>;
const batch = Number(values.batch);
const M = Number(values.M);
const efConstruction = Number(values.efConstruction);
const K = 10;
const MODEL = 'bench-model';
const TASKS = 1000;

function normalise(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  const n = Math.sqrt(s);
  for (let i = 0; i < v.length; i++) v[i] = v[i]! / n;
  return v;
}

function gaussian(rng: Rng, scale = 1): Float32Array {
  const v = new Float32Array(dim);
  for (let i = 0; i < dim; i++) v[i] = rng.normal() * scale;
  return v;
}

/** Draws n unit vectors of the given kind (the same seed gives the same centres for points and queries). */
function makeData(kind: 'random' | 'clustered', n: number, seed: string): Float32Array[] {
  const rng = new Rng(seed);
  if (kind === 'random') return Array.from({ length: n }, () => normalise(gaussian(rng)));
  const centreRng = new Rng('centres');
  const centres = Array.from({ length: 100 }, () => normalise(gaussian(centreRng)));
  const sigma = 1 / Math.sqrt(dim);
  return Array.from({ length: n }, () => {
    const c = centres[rng.int(centres.length)]!;
    const v = gaussian(rng, sigma);
    for (let i = 0; i < dim; i++) v[i] = v[i]! + c[i]!;
    return normalise(v);
  });
}

/** Exact top-k indices by cosine (all vectors are unit length, so by dot product), skipping `skip(i)`. */
function exactTopK(data: Float32Array[], q: Float32Array, k: number, skip?: (i: number) => boolean): number[] {
  const best: Array<{ i: number; s: number }> = [];
  for (let i = 0; i < data.length; i++) {
    if (skip?.(i)) continue;
    const v = data[i]!;
    let s = 0;
    for (let j = 0; j < dim; j++) s += v[j]! * q[j]!;
    if (best.length < k || s > best[best.length - 1]!.s) {
      best.push({ i, s });
      best.sort((a, b) => b.s - a.s);
      if (best.length > k) best.pop();
    }
  }
  return best.map((b) => b.i);
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
const idOf = (i: number) => `t${i % TASKS}/e${i}`;
const indexOfId = (id: string) => Number(id.slice(id.indexOf('/e') + 2));

const rows: Record<string, unknown>[] = [];
const started = Date.now();
const load0 = loadavg();
console.log(`# bank-bench  ${new Date().toISOString()}  node ${process.version}  ${cpus()[0]?.model} x${cpus().length}  loadavg ${load0.map((x) => x.toFixed(2)).join(' ')}`);

for (const kind of kinds) {
  for (const n of sizes) {
    const t0 = performance.now();
    const data = makeData(kind, n, `${kind}/data`);
    const queries = makeData(kind, nQueries, `${kind}/queries`);
    const genS = (performance.now() - t0) / 1000;

    const tTruth = performance.now();
    const truth = queries.map((q) => exactTopK(data, q, K));
    const bruteMs = (performance.now() - tTruth) / nQueries;
    // Filtered: exclude the task of the query's exact nearest neighbour.
    const excluded = truth.map((t) => `t${t[0]! % TASKS}`);
    const truthFiltered = queries.map((q, qi) => exactTopK(data, q, K, (i) => `t${i % TASKS}` === excluded[qi]));

    const dir = mkdtempSync(join(tmpdir(), 'bank-bench-'));
    let bank = PromptBank.open(dir, { saveIndexEvery: 0, M, efConstruction });
    const tIns = performance.now();
    for (let s = 0; s < n; s += batch) {
      const entries: BankEntryInput[] = [];
      for (let i = s; i < Math.min(n, s + batch); i++) entries.push({ id: idOf(i), task: `t${i % TASKS}`, model: MODEL, method: 'prompt-tuning', embedding: data[i]! });
      bank.addMany(entries);
    }
    const insertS = (performance.now() - tIns) / 1000;

    const efRows: Record<string, unknown>[] = [];
    for (const ef of efs) {
      for (let w = 0; w < 10; w++) bank.query(queries[w]!, { model: MODEL, k: K, efSearch: ef }); // warm-up
      const lat: number[] = [];
      let hit = 0;
      for (let qi = 0; qi < nQueries; qi++) {
        const t = performance.now();
        const res = bank.query(queries[qi]!, { model: MODEL, k: K, efSearch: ef });
        lat.push(performance.now() - t);
        const want = new Set(truth[qi]);
        for (const h of res) if (want.has(indexOfId(h.entry.id))) hit++;
      }
      efRows.push({ ef, recallAt10: round(hit / (nQueries * K), 4), p50ms: round(percentile(lat, 50)), p99ms: round(percentile(lat, 99)), meanMs: round(lat.reduce((a, b) => a + b, 0) / lat.length) });
    }

    // Filtered queries (excludeTasks), efSearch 100.
    const latF: number[] = [];
    let hitF = 0;
    for (let qi = 0; qi < nQueries; qi++) {
      const t = performance.now();
      const res = bank.query(queries[qi]!, { model: MODEL, k: K, excludeTasks: [excluded[qi]!], efSearch: 100 });
      latF.push(performance.now() - t);
      const want = new Set(truthFiltered[qi]);
      for (const h of res) if (want.has(indexOfId(h.entry.id))) hitF++;
    }

    // Exact search through the bank (SQLite scan + decode + cosine), a few queries.
    const latE: number[] = [];
    for (let qi = 0; qi < 5; qi++) {
      const t = performance.now();
      bank.query(queries[qi]!, { model: MODEL, k: K, exact: true });
      latE.push(performance.now() - t);
    }

    const tClose = performance.now();
    bank.close(); // saves the index file
    const closeS = (performance.now() - tClose) / 1000;
    const indexFile = readdirSync(join(dir, 'index'))[0]!;
    const indexMB = statSync(join(dir, 'index', indexFile)).size / 2 ** 20;
    const dbMB = statSync(join(dir, 'bank.sqlite')).size / 2 ** 20;

    const tOpen = performance.now();
    bank = PromptBank.open(dir, { M, efConstruction });
    bank.query(queries[0]!, { model: MODEL, k: K }); // loads the index file and reconciles it with SQLite
    const reopenS = (performance.now() - tOpen) / 1000;
    const verifyOk = bank.verify().ok;
    bank.close();
    rmSync(dir, { recursive: true, force: true });

    const row = {
      data: kind,
      n,
      M,
      efConstruction,
      dim,
      queries: nQueries,
      generateS: round(genS, 1),
      insertS: round(insertS, 1),
      insertPerSec: Math.round(n / insertS),
      bruteForceJsMsPerQuery: round(bruteMs, 2),
      ef: efRows,
      filtered: { ef: 100, recallAt10: round(hitF / (nQueries * K), 4), p50ms: round(percentile(latF, 50)), p99ms: round(percentile(latF, 99)) },
      exactViaBankMs: { p50: round(percentile(latE, 50), 1), max: round(Math.max(...latE), 1) },
      closeSaveS: round(closeS, 2),
      reopenFirstQueryS: round(reopenS, 2),
      indexMB: round(indexMB, 1),
      dbMB: round(dbMB, 1),
      verifyOk,
      loadavg: loadavg().map((x) => round(x, 2)),
    };
    rows.push(row);
    console.log(JSON.stringify(row));
  }
}

const load1 = loadavg();
console.log(`# done in ${((Date.now() - started) / 1000).toFixed(0)} s, loadavg ${load1.map((x) => x.toFixed(2)).join(' ')}`);
if (values.out) writeFileSync(values.out, JSON.stringify({ date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, cores: cpus().length, loadavgBefore: load0, loadavgAfter: load1, rows }, null, 2) + '\n');
