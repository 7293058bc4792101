import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cosine } from '@panda/core';
import { registerTransferMetric } from '../metrics/transferMetrics.js';
import { writeGridReport } from './report.js';
import { GridStore, type CellRow } from './store.js';

// A hand-made grid: sources a, b, c, d; targets t, u. Each task's embedding, prompt row and
// activation rates are the same 2-d vector, so the four built-in metrics agree; cosines to t = (1, 0):
// a 1, b 1/√2, c 0, d −1/√2; to u = (0, 1): a 0, b 1/√2, c 1, d 1/√2 (a tie).
const VECTORS: Record<string, [number, number]> = { a: [1, 0], b: [1, 1], c: [0, 1], d: [-1, 1], t: [1, 0], u: [0, 1] };
// Dev scores in 64ths (exact in floating point): prompt tuning, then PoT from each source.
const FINAL = { t: { base: 32, a: 37, b: 31, c: 34, d: 29 }, u: { base: 32, a: 30, b: 33, c: 36, d: 32 } };
// First-epoch scores; PoT c → u has none (its pair must be left out, not void u's and the pooled ρ).
const FIRST = { t: { base: 16, a: 20, b: 18, c: 17, d: 14 }, u: { base: 16, a: 14, b: 19, c: null, d: 17 } };

/*
 * Expected Spearman ρ (Pearson correlation of average ranks), worked by hand.
 * final, t: metric ranks (a, b, c, d) = 4, 3, 2, 1; gains +5, −1, +2, −3 → ranks 4, 2, 3, 1;
 *   Σd² = 2 → ρ = 1 − 6·2 / (4·15) = 0.8.
 * final, u: metric 0, .707, 1, .707 → ranks 1, 2.5, 4, 2.5; gains −2, +1, +4, 0 → ranks 1, 3, 4, 2;
 *   centred x = (−1.5, 0, 1.5, 0), y = (−1.5, .5, 1.5, −.5): ρ = 4.5 / √(4.5·5).
 * final, pooled (ta tb tc td ua ub uc ud): metric ranks 7.5, 5, 2.5, 1, 2.5, 5, 7.5, 5;
 *   gains 5, −1, 2, −3, −2, 1, 4, 0 → ranks 8, 3, 6, 1, 2, 5, 7, 4; Sxy = 31.5, Sxx = 39, Syy = 42.
 * first epoch, t: gains +4, +2, +1, −2 fall with the metric → ρ = 1.
 * first epoch, u (a, b, d): metric ranks 1, 2.5, 2.5; gains −2, +3, +1 → ranks 1, 3, 2: ρ = 1.5 / √(1.5·2).
 * first epoch, pooled (ta tb tc td ua ub ud): metric ranks 7, 5, 2.5, 1, 2.5, 5, 5;
 *   gains 4, 2, 1, −2, −2, 3, 1 → ranks 7, 5, 3.5, 1.5, 1.5, 6, 3.5; Sxy = 23.5, Sxx = 25.5, Syy = 27.
 */
const RHO = {
  final: { t: 0.8, u: 4.5 / Math.sqrt(4.5 * 5), pooled: 31.5 / Math.sqrt(39 * 42) },
  first: { t: 1, u: 1.5 / Math.sqrt(1.5 * 2), pooled: 23.5 / Math.sqrt(25.5 * 27) },
};
const f3 = (x: number) => x.toFixed(3);
const row = (metric: string, gain: string, r: { t: number; u: number; pooled: number }, sign = 1) =>
  `| ${metric} | ${gain} | ${f3(sign * r.t)} | ${f3(sign * r.u)} | ${f3((sign * (r.t + r.u)) / 2)} | ${f3(sign * r.pooled)} |`;

const cell = (id: string, target: string, source: string | null, dev: number, first: number | null): CellRow => ({
  id, kind: id.split('/')[0]!, source, target, status: 'done', dev: dev / 64, test: null, firstEpochDev: first === null ? null : first / 64, beta: null, seconds: 1, error: null, result: null,
});

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'panda-report-'));
  const store = new GridStore(dir);
  store.setLatestSpec({ sources: ['a', 'b', 'c', 'd'], targets: ['t', 'u'], methods: ['prompt-tuning', 'pot'] });
  for (const [task, v] of Object.entries(VECTORS)) {
    const f = Float32Array.from(v);
    store.putTask({ task, embedding: f, activationRate: f, prompt: f, promptRows: 1 });
    if (task in FINAL) continue;
    store.put(cell(`prompt-tuning/${task}`, task, null, 40, 20));
  }
  for (const t of ['t', 'u'] as const) {
    store.put(cell(`prompt-tuning/${t}`, t, null, FINAL[t].base, FIRST[t].base));
    for (const s of ['a', 'b', 'c', 'd'] as const) store.put(cell(`pot/${s}/${t}`, t, s, FINAL[t][s], FIRST[t][s]));
  }
  store.close();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeGridReport', () => {
  it('reports the Spearman ρ of every registered metric with the PoT gains, worked by hand', async () => {
    registerTransferMetric({ name: 'negated PANDA', description: 'minus the cosine of the task embeddings', score: (s, t) => -cosine(s.embedding, t.embedding) });
    registerTransferMetric({ name: 'only t', description: 'PANDA, undefined for target u', score: (s, t) => (t.embedding[0] === 0 ? Number.NaN : cosine(s.embedding, t.embedding)) });
    const files = await writeGridReport(dir);
    expect(files.map((f) => f.slice(dir.length + 1)).sort()).toEqual(['cells.csv', 'gain-pot.svg', 'report.md', 'similarity.svg']);
    const report = await readFile(join(dir, 'report.md'), 'utf8');
    const lines = report.split('\n');
    expect(lines).toContain('| metric | gain | t | u | mean of targets | pooled |');
    expect(row('PANDA', 'final', RHO.final)).toBe('| PANDA | final | 0.800 | 0.949 | 0.874 | 0.778 |');
    expect(row('PANDA', 'first epoch', RHO.first)).toBe('| PANDA | first epoch | 1.000 | 0.866 | 0.933 | 0.896 |');
    for (const metric of ['PANDA', 'E_avg', 'SPoT per-token', 'ON']) {
      expect(lines).toContain(row(metric, 'final', RHO.final));
      expect(lines).toContain(row(metric, 'first epoch', RHO.first));
    }
    expect(lines).toContain(row('negated PANDA', 'final', RHO.final, -1));
    expect(lines).toContain(row('negated PANDA', 'first epoch', RHO.first, -1));
    // Pairs where the metric is undefined are left out: u has none, the pooled ρ is t's alone.
    expect(lines).toContain('| only t | final | 0.800 | – | 0.800 | 0.800 |');
    // The PANDA metric between tasks: the cosines above.
    expect(lines).toContain('| | a | b | c | d | t | u |');
    expect(lines).toContain('| d | -0.707 | 0.000 | 0.707 | 1.000 | -0.707 | 0.707 |');
  });

  it('writes every run to cells.csv and the dev scores to the tables', async () => {
    const csv = (await readFile(join(dir, 'cells.csv'), 'utf8')).trim().split('\n');
    expect(csv).toHaveLength(1 + 6 + 8);
    expect(csv).toContain('pot/a/t,pot,a,t,done,0.578125,,0.3125,,1.0,1,');
    expect(csv).toContain('pot/c/u,pot,c,u,done,0.5625,,,,1.0,1,');
    const report = await readFile(join(dir, 'report.md'), 'utf8');
    // Mean PoT over sources: t (37 + 31 + 34 + 29) / 4 / 64 = 51.2 %, u (30 + 33 + 36 + 32) / 4 / 64 = 51.2 %.
    expect(report).toContain('| PoT (mean over sources) | 51.2 | 51.2 | 51.2 |');
    expect(report).toContain('| pot | 2/4 | 1/4 | 3/8 |');
  });
});
