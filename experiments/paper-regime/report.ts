/**
 * The paper-regime report, from the committed tables only (experiments/results/paper-regime/):
 * sources beside their linear probes, the per-target table under both protocols, paired
 * differences with bootstrap intervals, negative-transfer counts, the metrics' Spearman ρ, the
 * first-epoch table, the β ablation, late fusion, and the compute used.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bootstrapMeanInterval, bootstrapSpearmanInterval, pairedDifferences, summary } from '@panda/transfer';
import { spearman } from '@panda/datasets';
import { AT_CHANCE, ROOT, SOURCES, TARGETS, SMOKE } from './settings.js';
import { writeFileAtomic } from '@panda/runtime';
import { kdArmSection, type ArmRow } from './kdArmSection.js';

interface Point { epoch: number; devScore: number; validationScore?: number }
interface Row { id: string; kind: string; source: string | null; target: string; status: string; dev: number | null; seconds: number | null; runs?: number; metrics: { metric?: string; devScore?: number; validationScore?: number } | null; history: Point[]; sizes?: { train?: number; validation?: number; dev?: number } | null; seed?: number | null; steps?: number | null }
interface Part { cells: Row[]; lr?: number; complete?: boolean }

/** The two protocols: the paper's (best epoch on dev, reported on dev) and the unbiased one (best epoch on validation, reported on dev). */
export const PROTOCOLS = { paper: 'best epoch on dev, dev score', unbiased: 'best epoch on the validation split, dev score' } as const;
type Protocol = keyof typeof PROTOCOLS;

/** The paper's BERT-tiny rows (Appendix Table 5: dev %, best epoch; PoT/PANDA means over 21 sources). */
const PAPER_TINY: Record<string, Record<string, number>> = {
  'model tuning': { cb: 73.2, copa: 61.0, wsc: 64.8, rte: 64.2, wic: 60.9, cola: 5.0, mrpc: 77.1, stsb: 78.3 },
  'prompt tuning': { cb: 71.4, copa: 62.0, wsc: 63.4, rte: 65.0, wic: 57.7, cola: 0.0, mrpc: 72.8, stsb: 81.8 },
  'PoT (mean over sources)': { cb: 70.7, copa: 60.3, wsc: 65.0, rte: 61.6, wic: 57.4, cola: 2.9, mrpc: 73.5, stsb: 78.4 },
  'PANDA (mean over sources)': { cb: 74.0, copa: 61.9, wsc: 66.8, rte: 65.0, wic: 59.0, cola: 5.5, mrpc: 73.5, stsb: 82.0 },
};

/** A finished run's score under a protocol (the paper's: the best dev score of its curve). */
export function scoreOf(c: Row, p: Protocol): number | null {
  if (c.status !== 'done') return null;
  const curve = c.history.map((h) => h.devScore).filter((x) => Number.isFinite(x));
  const x = p === 'unbiased' || !curve.length ? c.dev : Math.max(...curve);
  return x !== null && Number.isFinite(x) ? x : null;
}

/** The score a run chose its weights by (validation when it carved a split), for picking among runs without looking at dev. */
const chosenBy = (c: Row, p: Protocol): number | null => (p === 'paper' ? scoreOf(c, p) : (c.metrics?.validationScore ?? null));

const read = <T>(file: string): T | undefined => (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : undefined);
const pct = (x: number | null | undefined, digits = 1) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : (100 * x).toFixed(digits));
const pm = (xs: number[]) => {
  if (!xs.length) return '–';
  const s = summary(xs);
  return xs.length > 1 ? `${pct(s.mean)} ± ${pct(s.std)}` : pct(s.mean);
};
const seedOf = (id: string) => Number(/@s(\d+)$/.exec(id)?.[1] ?? Number.NaN);

class TargetRuns {
  constructor(readonly target: string, readonly cells: Row[], readonly partial = false) {}
  /** The column heading: the target, marked while its grid is still running. */
  get heading(): string {
    return `${this.target}${this.partial ? ' (partial)' : ''}${AT_CHANCE[this.target] ? ' (at chance)' : ''}`;
  }
  done(kind: string, source?: string): Row[] {
    return this.cells.filter((c) => c.status === 'done' && c.kind === kind && (source === undefined || c.source === source));
  }
  firstSeed(): number {
    return Math.min(...this.cells.map((c) => seedOf(c.id)).filter(Number.isFinite));
  }
  /** Scores of `kind` from every source at the first seed. */
  bySource(kind: string, p: Protocol): Map<string, number> {
    const s0 = this.firstSeed();
    return new Map(this.done(kind).filter((c) => seedOf(c.id) === s0 && scoreOf(c, p) !== null).map((c) => [c.source!, scoreOf(c, p)!]));
  }
  seeds(kind: string, p: Protocol, source?: string): number[] {
    return this.done(kind, source).map((c) => scoreOf(c, p)).filter((x): x is number => x !== null);
  }
  /** The source of the first seed's best run of `kind`, picked by what the protocol may look at (dev for the paper's, validation for the unbiased one). */
  bestSource(kind: string, p: Protocol): { source: string; score: number } | undefined {
    const s0 = this.firstSeed();
    const runs = this.done(kind).filter((c) => seedOf(c.id) === s0 && chosenBy(c, p) !== null && scoreOf(c, p) !== null);
    const best = runs.sort((a, b) => chosenBy(b, p)! - chosenBy(a, p)!)[0];
    return best ? { source: best.source!, score: scoreOf(best, p)! } : undefined;
  }
  /** The grid's two top sources: those its late-fusion runs fused (else the sources PoT ran at more than one seed). */
  topSources(): string[] {
    const fused = this.done('panda-fusion')[0]?.source;
    if (fused) return fused.split('+');
    const counts = new Map<string, number>();
    for (const c of this.done('pot')) counts.set(c.source!, (counts.get(c.source!) ?? 0) + 1);
    return [...counts].filter(([, n]) => n > 1).map(([s]) => s);
  }
}

function loadParts(root: string): { sources?: Part; probes?: Record<string, { dev: number; metric?: string; history?: Point[]; seconds?: number }>; gate?: { runs: Record<string, { dev: number; seconds?: number }> }; targets: TargetRuns[]; sweeps: Record<string, unknown> } {
  const targets: TargetRuns[] = [];
  const sweeps: Record<string, unknown> = {};
  for (const t of TARGETS) {
    const part = read<Part>(join(root, t, 'runs.json'));
    // The target's linear probes (<t>/probes.json) join its runs as kind `linear-probe`: the cheap baseline beside the table.
    const probes = Object.entries(read<Record<string, { dev: number; validationScore: number | null; metric: string; seconds: number; history: Point[] }>>(join(root, t, 'probes.json')) ?? {}).map(
      ([id, x]): Row => ({ id, kind: 'linear-probe', source: null, target: t, status: 'done', dev: x.dev, seconds: x.seconds, metrics: { metric: x.metric, ...(x.validationScore !== null ? { validationScore: x.validationScore } : {}) }, history: x.history }),
    );
    if (part) targets.push(new TargetRuns(t, [...part.cells, ...probes], part.complete === false));
    const sweep = read(join(root, t, 'sweep.json'));
    if (sweep) sweeps[t] = sweep;
  }
  return { sources: read<Part>(join(root, 'sources', 'runs.json')), probes: read(join(root, 'sources', 'probes.json')), gate: read(join(root, 'sources', 'gate.json')), targets, sweeps };
}

function sourcesSection(sources: Part | undefined, probes: Record<string, { dev: number; metric?: string; history?: Point[] }> | undefined, names: readonly string[]): string[] {
  if (!sources) return ['## Sources', '', 'Not run yet.', ''];
  const md = ['## Part 1: the source prompts beside the linear probe on the same rows', '', '| source | metric | train rows | epochs run | best epoch | prompt (dev ×100) | linear probe (dev ×100) | prompt − probe | second half of the curves: prompt / probe (mean dev ×100) | minutes |', '|---|---|---:|---:|---:|---:|---:|---:|---|---:|'];
  // The mean dev score over the second half of a curve: how a run's level compares when a noisy metric makes its best epoch a spike.
  const laterHalf = (h: Point[] | undefined) => (h && h.length ? summary(h.slice(Math.floor(h.length / 2)).map((x) => x.devScore)).mean : Number.NaN);
  for (const s of names) {
    const c = sources.cells.find((x) => x.id === `prompt-tuning/${s}`);
    const probe = probes?.[s]?.dev;
    if (!c) {
      md.push(`| ${s} | ${probes?.[s]?.metric ?? '–'} | – | – | – | not yet | ${pct(probe, 2)} | – | – / ${pct(laterHalf(probes?.[s]?.history), 2)} | – |`);
      continue;
    }
    const best = c.history.reduce((b, h) => (h.devScore > b.devScore ? h : b), c.history[0] ?? { epoch: 0, devScore: Number.NaN });
    const gap = probe !== undefined && c.dev !== null ? c.dev - probe : Number.NaN;
    md.push(`| ${s} | ${c.metrics?.metric ?? '–'} | ${c.sizes?.train ?? '–'} | ${c.history.length} | ${best.epoch} | ${pct(c.dev, 2)} | ${pct(probe, 2)} | ${Number.isFinite(gap) ? `${gap >= 0 ? '+' : ''}${(100 * gap).toFixed(2)}` : '–'} | ${pct(laterHalf(c.history), 2)} / ${pct(laterHalf(probes?.[s]?.history), 2)} | ${c.seconds ? (c.seconds / 60).toFixed(1) : '–'} |`);
  }
  md.push('', 'Gate: a source prompt below its task\'s linear probe is a bug to find before it serves as a source. A best epoch equal to the epochs run means the run was still improving when the epoch cap (with the learning rate decayed to 0) ended it.', '');
  return md;
}

/** The gate's repeat (sources/gate.json): prompt and probe at more seeds, beside part 1's seed 42, for the sources that trailed their probe. */
function gateSection(gate: { runs: Record<string, { dev: number }> } | undefined, sources: Part | undefined, probes: Record<string, { dev: number }> | undefined): string[] {
  if (!gate || !sources) return [];
  const tasks = [...new Set(Object.keys(gate.runs).map((k) => /\/(\w+)@/.exec(k)![1]!))];
  const md = ['### The gate at three seeds', '', 'The sources that trailed their probe at seed 42, rerun at seeds 43 and 44 (same rows: all of each task\'s training set; a seed changes the initialisation and the batch order). Dev ×100, best epoch on dev for both.', '', '| source | prompt: 42 / 43 / 44 | probe: 42 / 43 / 44 | prompt, mean ± std | probe, mean ± std | mean of prompt − probe per seed [min, max] | seeds prompt > probe |', '|---|---|---|---:|---:|---:|---:|'];
  for (const t of tasks) {
    const seeds = [42, ...new Set(Object.keys(gate.runs).filter((k) => k.includes(`/${t}@`)).map((k) => Number(/@s(\d+)$/.exec(k)![1])))].sort();
    const prompt = seeds.map((s) => (s === 42 ? sources.cells.find((c) => c.id === `prompt-tuning/${t}`)?.dev ?? null : gate.runs[`prompt/${t}@s${s}`]?.dev ?? null));
    const probe = seeds.map((s) => (s === 42 ? probes?.[t]?.dev ?? null : gate.runs[`probe/${t}@s${s}`]?.dev ?? null));
    const both = seeds.flatMap((_, i) => (prompt[i] !== null && probe[i] !== null ? [prompt[i]! - probe[i]!] : []));
    const full = (xs: Array<number | null>) => xs.filter((x): x is number => x !== null);
    md.push(`| ${t} | ${prompt.map((x) => pct(x, 2)).join(' / ')} | ${probe.map((x) => pct(x, 2)).join(' / ')} | ${pm(full(prompt))} | ${pm(full(probe))} | ${both.length ? `${(100 * summary(both).mean).toFixed(2)} [${(100 * Math.min(...both)).toFixed(2)}, ${(100 * Math.max(...both)).toFixed(2)}]` : '–'} | ${both.filter((d) => d > 0).length} of ${both.length} |`);
  }
  md.push('');
  return md;
}

function targetTable(runs: TargetRuns[], p: Protocol): string[] {
  const md = [`### Protocol: ${p} (${PROTOCOLS[p]})`, '', `| method | ${runs.map((r) => r.heading).join(' | ')} |`, `|---|${runs.map(() => '---:').join('|')}|`];
  const meanOver = (m: Map<string, number>) => (m.size ? summary([...m.values()]).mean : Number.NaN);
  const row = (name: string, f: (r: TargetRuns) => string) => md.push(`| ${name} | ${runs.map(f).join(' | ')} |`);
  row('linear probe on the frozen encoder (every seed)', (r) => pm(r.seeds('linear-probe', p)));
  row('model tuning (every seed)', (r) => pm(r.seeds('model-tuning', p)));
  row('prompt tuning (every seed)', (r) => pm(r.seeds('prompt-tuning', p)));
  row('PoT, mean over sources (seed 1)', (r) => pct(meanOver(r.bySource('pot', p))));
  row('PANDA, mean over sources (seed 1)', (r) => pct(meanOver(r.bySource('panda', p))));
  row(`PANDA, best source (seed 1; picked on ${p === 'paper' ? 'dev' : 'validation'})`, (r) => {
    const best = r.bestSource('panda', p);
    return best ? `${pct(best.score)} (${best.source})` : '–';
  });
  row('PoT, top-2 sources (every seed)', (r) => pm(r.topSources().flatMap((s) => r.seeds('pot', p, s))));
  row('PANDA, top-2 sources (every seed)', (r) => pm(r.topSources().flatMap((s) => r.seeds('panda', p, s))));
  row('PANDA, late fusion of the top 2 (every seed)', (r) => pm(r.seeds('panda-fusion', p)));
  row('PANDA, constant β, mean over sources (seed 1)', (r) => pct(meanOver(r.bySource('panda-constant', p))));
  md.push('');
  return md;
}

/** Pairs of runs that share source, target and seed: `a` − `b` (b may be a target-level baseline). */
function pairs(runs: TargetRuns[], a: string, b: string, p: Protocol, scope: Scope): Array<{ target: string; diff: number }> {
  const out: Array<{ target: string; diff: number }> = [];
  for (const r of runs) {
    for (const c of inScope(r, r.done(a), scope)) {
      const seed = seedOf(c.id);
      const other = r.done(b).find((o) => seedOf(o.id) === seed && (b === 'prompt-tuning' || b === 'model-tuning' || o.source === c.source));
      const x = scoreOf(c, p);
      const y = other ? scoreOf(other, p) : null;
      if (x !== null && y !== null && Number.isFinite(x) && Number.isFinite(y)) out.push({ target: r.target, diff: x - y });
    }
  }
  return out;
}

/** Which runs a comparison counts: every source at the first seed, or the top sources at every seed (so no source counts more than once per seed). */
type Scope = 'seed 1, every source' | 'top 2, every seed';
const SCOPES: Scope[] = ['seed 1, every source', 'top 2, every seed'];
function inScope(r: TargetRuns, cells: Row[], scope: Scope): Row[] {
  if (scope === 'seed 1, every source') return cells.filter((c) => seedOf(c.id) === r.firstSeed());
  const top = r.topSources();
  return cells.filter((c) => c.source !== null && c.source.split('+').every((s) => top.includes(s)));
}

function differencesSection(runs: TargetRuns[]): string[] {
  const md = ['## Paired differences (same source, target and seed; points ×100)', '', '| comparison | runs | protocol | pairs | mean | 95 % bootstrap interval | better / worse / tied |', '|---|---|---|---:|---:|---|---|'];
  const comparisons: Array<[string, string, string]> = [
    ['PANDA − PoT', 'panda', 'pot'],
    ['PANDA − prompt tuning', 'panda', 'prompt-tuning'],
    ['PoT − prompt tuning', 'pot', 'prompt-tuning'],
    ['PANDA − model tuning', 'panda', 'model-tuning'],
    ['PANDA (metric β) − PANDA (constant β)', 'panda', 'panda-constant'],
    ['late fusion − PANDA from each of the top 2', 'panda-fusion', 'panda'],
  ];
  for (const [name, a, b] of comparisons) {
    for (const scope of SCOPES) {
      for (const p of ['paper', 'unbiased'] as const) {
        const ds = a === 'panda-fusion' ? (scope === SCOPES[1] ? fusionPairs(runs, p) : []) : pairs(runs, a, b, p, scope);
        if (!ds.length) continue;
        const d = pairedDifferences(ds.map((x) => x.diff), ds.map(() => 0));
        const ci = bootstrapMeanInterval(d.differences, { seed: `${name}/${scope}/${p}` });
        md.push(`| ${name} | ${scope} | ${p} | ${ds.length} | ${(100 * d.mean).toFixed(2)} | [${(100 * ci.low).toFixed(2)}, ${(100 * ci.high).toFixed(2)}] | ${d.positive} / ${d.negative} / ${d.ties} |`);
      }
    }
  }
  md.push('');
  return md;
}

/** Late fusion against each of its two single-source PANDA students of the same seed. */
function fusionPairs(runs: TargetRuns[], p: Protocol): Array<{ target: string; diff: number }> {
  const out: Array<{ target: string; diff: number }> = [];
  for (const r of runs) {
    for (const f of r.done('panda-fusion')) {
      const seed = seedOf(f.id);
      for (const s of f.source!.split('+')) {
        const single = r.done('panda', s).find((c) => seedOf(c.id) === seed);
        const x = scoreOf(f, p);
        const y = single ? scoreOf(single, p) : null;
        if (x !== null && y !== null) out.push({ target: r.target, diff: x - y }); // scoreOf gives finite numbers or null
      }
    }
  }
  return out;
}

function negativeTransferSection(runs: TargetRuns[]): string[] {
  const md = ['## Negative transfer (runs below the mean of prompt tuning\'s seeds on their target; seed 1, every source)', '', `| method | protocol | ${runs.map((r) => r.heading).join(' | ')} | all |`, `|---|---|${runs.map(() => '---:').join('|')}|---:|`];
  for (const kind of ['pot', 'panda', 'panda-constant', 'panda-fusion']) {
    for (const p of ['paper', 'unbiased'] as const) {
      let below = 0;
      let total = 0;
      const cells = runs.map((r) => {
        const base = r.seeds('prompt-tuning', p);
        if (!base.length) return '–';
        const mean = summary(base).mean;
        const xs = inScope(r, r.done(kind), 'seed 1, every source').map((c) => scoreOf(c, p)).filter((x): x is number => x !== null);
        const n = xs.filter((x) => x < mean).length;
        below += n;
        total += xs.length;
        return `${n}/${xs.length}`;
      });
      if (total) md.push(`| ${kind} | ${p} | ${cells.join(' | ')} | ${below}/${total} |`);
    }
  }
  md.push('');
  return md;
}

function metricSection(root: string, runs: TargetRuns[]): string[] {
  const metricsOf = (t: string) => read<{ pairs: Array<Record<string, number | string>> }>(join(root, t, 'metrics.json'))?.pairs ?? [];
  const names = [...new Set(runs.flatMap((r) => metricsOf(r.target).flatMap((p) => Object.keys(p).filter((k) => k !== 'source' && k !== 'target'))))];
  if (!names.length) return [];
  const md = ['## Transferability metrics: Spearman ρ with the PoT gain over prompt tuning (seed 1)', '', 'First epoch: PoT\'s first-epoch dev score − prompt tuning\'s (the paper\'s appendix protocol). Final: best-epoch score − prompt tuning\'s, under each protocol. Pooled: every (source, target) pair; interval: 95 % bootstrap over pairs.', '', `| metric | gain | ${runs.map((r) => r.heading).join(' | ')} | pooled [95 % interval] |`, `|---|---|${runs.map(() => '---:').join('|')}|---|`];
  const gains: Array<[string, (c: Row) => number | null]> = [
    ['first epoch', (c) => c.history.find((h) => h.epoch === 1)?.devScore ?? null],
    ['final (paper)', (c) => scoreOf(c, 'paper')],
    ['final (unbiased)', (c) => scoreOf(c, 'unbiased')],
  ];
  for (const m of names) {
    for (const [gain, f] of gains) {
      const px: number[] = [];
      const py: number[] = [];
      const per = runs.map((r) => {
        const s0 = r.firstSeed();
        const base = r.done('prompt-tuning').find((c) => seedOf(c.id) === s0);
        const b = base ? f(base) : null;
        const x: number[] = [];
        const y: number[] = [];
        for (const pair of metricsOf(r.target)) {
          const pot = r.done('pot', pair.source as string).find((c) => seedOf(c.id) === s0);
          const v = pot ? f(pot) : null;
          if (v === null || b === null || !Number.isFinite(pair[m] as number)) continue;
          x.push(pair[m] as number);
          y.push(v - b);
        }
        px.push(...x);
        py.push(...y);
        return x.length >= 3 ? spearman(x, y) : Number.NaN;
      });
      const pooled = bootstrapSpearmanInterval(px, py, { seed: `${m}/${gain}` });
      md.push(`| ${m} | ${gain} | ${per.map((x) => (Number.isFinite(x) ? x.toFixed(2) : '–')).join(' | ')} | ${Number.isFinite(pooled.rho) ? `${pooled.rho.toFixed(2)} [${pooled.low.toFixed(2)}, ${pooled.high.toFixed(2)}]` : '–'} |`);
    }
  }
  md.push('');
  return md;
}

function firstEpochSection(runs: TargetRuns[], sources: readonly string[]): string[] {
  if (!runs.length) return [];
  const md = ['## First-epoch dev score of PoT from each source (seed 1; like the paper\'s appendix Table 10)', '', `| source \\ target | ${runs.map((r) => r.heading).join(' | ')} |`, `|---|${runs.map(() => '---:').join('|')}|`];
  const first = (c: Row | undefined) => pct(c?.history.find((h) => h.epoch === 1)?.devScore);
  const at = (r: TargetRuns, kind: string, s?: string) => r.done(kind, s).find((c) => seedOf(c.id) === r.firstSeed());
  md.push(`| prompt tuning | ${runs.map((r) => first(at(r, 'prompt-tuning'))).join(' | ')} |`);
  for (const s of sources) md.push(`| ${s} | ${runs.map((r) => (s === r.target ? '–' : first(at(r, 'pot', s)))).join(' | ')} |`);
  md.push('');
  return md;
}

interface Sweep { lrs: Record<string, { validation: number | null; dev: number | null }>; chosen: number }
const sweepLine = (t: string, s: Sweep) => `${t}: ${Object.entries(s.lrs).map(([lr, x]) => `lr ${lr} ${pct(x.validation)} / ${pct(x.dev)}`).join(', ')} → lr ${s.chosen}`;

function computeSection(parts: ReturnType<typeof loadParts>, arms: Map<string, ArmRow[]>): string[] {
  const grids = [...(parts.sources?.cells ?? []), ...parts.targets.flatMap((r) => r.cells)];
  const armRuns = [...arms.values()].flat() as unknown as typeof grids;
  const all = [...grids, ...armRuns];
  // Beside the grids' runs: the linear probes and the gate's repeat (sources/probes.json, sources/gate.json).
  const extra = [...Object.values(parts.probes ?? {}), ...Object.values(parts.gate?.runs ?? {})] as Array<{ seconds?: number }>;
  const seconds = all.reduce((a, c) => a + (c.seconds ?? 0), 0) + extra.reduce((a, r) => a + (r.seconds ?? 0), 0);
  const failed = all.filter((c) => c.status === 'failed');
  return ['## Compute', '', `${all.length + extra.length} runs recorded (${grids.length} in the grids and the targets' probes, ${armRuns.length} in the stronger-distillation arms, ${extra.length} sources' probes and gate runs; ${failed.length} failed${failed.length ? `: ${failed.map((c) => c.id).join(', ')}` : ''}), ${(seconds / 3600).toFixed(1)} CPU hours of run time (each run on one core). Targets: ${parts.targets.map((r) => r.heading).join(', ') || 'none yet'}. Learning-rate sweeps on prompt tuning, seed 1 (not counted above; validation / dev ×100 per rate): ${Object.keys(parts.sweeps).length ? Object.entries(parts.sweeps).map(([t, s]) => sweepLine(t, s as Sweep)).join('; ') : 'none yet'}.`, ''];
}

function paperRows(runs: TargetRuns[]): string[] {
  if (!runs.length) return [];
  return ['The paper\'s BERT-tiny rows (Appendix Table 5; dev %, best epoch, one seed; PoT and PANDA means over 21 sources):', '', `| method (paper, BERT-tiny) | ${runs.map((r) => r.heading).join(' | ')} |`, `|---|${runs.map(() => '---:').join('|')}|`, ...Object.entries(PAPER_TINY).map(([name, row]) => `| ${name} | ${runs.map((r) => row[r.target]?.toFixed(1) ?? '–').join(' | ')} |`), ''];
}

/** The markers of the block in docs/results/panda.md that `report` rewrites with the tables (one level deeper). */
/** The targets left out of the pooled statistics because nothing learned them, each with its reason. */
function atChanceLines(runs: TargetRuns[]): string[] {
  const out = runs.filter((t) => AT_CHANCE[t.target]);
  if (!out.length) return [];
  return ['**Left out of every pooled statistic below (paired differences, negative transfer, the metrics\' ρ), because nothing learned them:**', '', ...out.map((t) => `- ${t.target}: ${AT_CHANCE[t.target]}.`), ''];
}

/** Each target's stronger-distillation arm, where one is committed (`<t>/kd-strong/runs.json`). */
function armsOf(root: string): Map<string, ArmRow[]> {
  return new Map(TARGETS.flatMap((t) => {
    const part = read<Part>(join(root, t, 'kd-strong', 'runs.json'));
    return part ? [[t, part.cells as ArmRow[]] as const] : [];
  }));
}

export const DOC_BLOCK = { begin: '<!-- paper-regime tables: begin (generated by experiments/paper-regime.ts report; do not edit) -->', end: '<!-- paper-regime tables: end -->' } as const;

/** `doc` with the text between DOC_BLOCK's markers replaced by `tables`; undefined when the markers are missing. */
export function withTables(doc: string, tables: readonly string[]): string | undefined {
  const i = doc.indexOf(DOC_BLOCK.begin);
  const j = doc.indexOf(DOC_BLOCK.end);
  if (i < 0 || j < i) return undefined;
  const deeper = tables.map((l) => (l.startsWith('#') ? `#${l}` : l));
  return `${doc.slice(0, i + DOC_BLOCK.begin.length)}\n${deeper.join('\n')}\n${doc.slice(j)}`;
}

/**
 * Writes the report (markdown) and returns its path; outside smoke runs it also rewrites the tables'
 * block of `doc` (default docs/results/panda.md) when that file has the markers.
 */
export async function writeReport(options: { smoke?: boolean; out?: string; /** Read the tables from here instead (tests). */ root?: string; doc?: string }): Promise<string> {
  const root = options.root ?? (options.smoke ? join(ROOT, 'smoke') : ROOT);
  const parts = loadParts(root);
  const sources = options.smoke ? SMOKE.sources : SOURCES;
  const informative = parts.targets.filter((t) => !AT_CHANCE[t.target]);
  const arms = armsOf(root);
  const tables = [
    ...computeSection(parts, arms),
    ...sourcesSection(parts.sources, parts.probes, sources),
    ...gateSection(parts.gate, parts.sources, parts.probes),
    ...(parts.targets.length ? ['## Per target (dev %, mean ± std over seeds where seeds ran; STS-B mean(Pearson, Spearman) ×100)', '', ...targetTable(parts.targets, 'paper'), ...targetTable(parts.targets, 'unbiased'), ...paperRows(parts.targets)] : []),
    ...atChanceLines(parts.targets),
    ...(informative.length ? [...differencesSection(informative), ...negativeTransferSection(informative), ...metricSection(root, informative)] : []),
    ...(parts.targets.length ? firstEpochSection(parts.targets, sources) : []),
    ...kdArmSection(arms, new Map(parts.targets.map((t) => [t.target, t.cells as ArmRow[]])), (c, p) => scoreOf(c as unknown as Row, p)),
  ];
  const md = [
    '<!-- generated by experiments/paper-regime.ts report from the committed tables; do not edit -->',
    '# The paper\'s regime on USE-Lite: results so far',
    '',
    `Regenerate: \`node --conditions=@panda/source --import tsx experiments/paper-regime.ts report${options.smoke ? ' --smoke' : ''}\` (reads experiments/results/paper-regime/${options.smoke ? 'smoke/' : ''}*/*.json only).`,
    '',
    ...tables,
  ];
  const out = options.out ?? join(root, 'report.md');
  await writeFileAtomic(out, md.join('\n'));
  const doc = options.doc ?? (options.smoke || options.root ? undefined : 'docs/results/panda.md');
  const text = doc && existsSync(doc) ? withTables(readFileSync(doc, 'utf8'), tables) : undefined;
  if (doc && text !== undefined) await writeFileAtomic(doc, text);
  return out;
}
