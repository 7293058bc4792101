import { spearman } from '@panda/datasets';
import type { TaskProfile, TransferMetric } from '../metrics/transferMetrics.js';
import type { CellRow } from './store.js';

/** The gain a metric is correlated with: over prompt tuning after the first epoch, or at the end (best dev). */
export type GainKind = 'first epoch' | 'final';

/** Spearman ρ of one metric with one gain: per target, their mean, and over every (source, target) pair pooled. */
export interface MetricCorrelation {
  metric: string;
  gain: GainKind;
  /** ρ per target, in target order; NaN with fewer than 3 sources or a constant series. */
  perTarget: number[];
  /** Mean of the defined per-target ρ (NaN when none is). */
  meanOfTargets: number;
  /** ρ over every pair of every target together (NaN with fewer than 3 pairs). */
  pooled: number;
}

/** What {@link metricCorrelations} reads: the grid's tasks, its finished runs and the metrics to evaluate. */
export interface CorrelationInput {
  sources: readonly string[];
  targets: readonly string[];
  /** The finished run with this id (`prompt-tuning/<t>`, `pot/<s>/<t>`), if any. */
  run(id: string): CellRow | undefined;
  tasks: ReadonlyMap<string, TaskProfile>;
  metrics: readonly TransferMetric[];
}

/** Fewest points a ρ is reported over. */
const MIN_POINTS = 3;

const rho = (x: number[], y: number[]): number => (x.length >= MIN_POINTS ? spearman(x, y) : Number.NaN);

function gainOf(which: GainKind, run: CellRow, base: CellRow): number {
  if (which === 'final') return (run.dev ?? Number.NaN) - (base.dev ?? Number.NaN);
  return (run.firstEpochDev ?? Number.NaN) - (base.firstEpochDev ?? Number.NaN);
}

/** The (source, PoT gain) pairs of one target whose gain is known. */
function gainsFor(input: CorrelationInput, target: string, which: GainKind): Array<{ source: TaskProfile; gain: number }> {
  const base = input.run(`prompt-tuning/${target}`);
  if (!base || !input.tasks.has(target)) return [];
  const out: Array<{ source: TaskProfile; gain: number }> = [];
  for (const s of input.sources) {
    const run = s === target ? undefined : input.run(`pot/${s}/${target}`);
    const source = input.tasks.get(s);
    if (!run || !source) continue;
    const gain = gainOf(which, run, base);
    if (Number.isFinite(gain)) out.push({ source, gain });
  }
  return out;
}

/**
 * Spearman ρ between each metric T(s, t) and the measured gain of vanilla prompt transfer from s
 * to t over prompt tuning on t, for both gains. Pairs whose gain or metric value is not a number
 * (a run without a first-epoch score) are left out, so one missing score costs one pair, not the
 * target's ρ and the pooled ρ.
 */
export function metricCorrelations(input: CorrelationInput): MetricCorrelation[] {
  const out: MetricCorrelation[] = [];
  for (const metric of input.metrics) {
    for (const gain of ['first epoch', 'final'] as const) {
      const poolX: number[] = [];
      const poolY: number[] = [];
      const perTarget = input.targets.map((t) => {
        const x: number[] = [];
        const y: number[] = [];
        for (const pair of gainsFor(input, t, gain)) {
          const value = metric.score(pair.source, input.tasks.get(t)!);
          if (!Number.isFinite(value)) continue;
          x.push(value);
          y.push(pair.gain);
        }
        poolX.push(...x);
        poolY.push(...y);
        return rho(x, y);
      });
      const defined = perTarget.filter((r) => !Number.isNaN(r));
      const meanOfTargets = defined.length ? defined.reduce((a, b) => a + b, 0) / defined.length : Number.NaN;
      out.push({ metric: metric.name, gain, perTarget, meanOfTargets, pooled: rho(poolX, poolY) });
    }
  }
  return out;
}

const fmt = (x: number): string => (Number.isNaN(x) ? '–' : x.toFixed(3));

/** The report's section on the correlations (markdown lines). */
export function correlationSection(rows: readonly MetricCorrelation[], targets: readonly string[]): string[] {
  return [
    '## Transferability metrics: Spearman ρ with the PoT gain over prompt tuning',
    '',
    "Per target: ρ over the sources between the metric T(s, t) and the gain of PoT from s (first-epoch dev score − prompt tuning's first-epoch score; final: best dev − prompt tuning's best dev). Pooled: all (s, t) pairs together. Pairs without a score are left out.",
    '',
    `| metric | gain | ${targets.join(' | ')} | mean of targets | pooled |`,
    `|---|---|${targets.map(() => '---:').join('|')}|---:|---:|`,
    ...rows.map((r) => `| ${r.metric} | ${r.gain} | ${r.perTarget.map(fmt).join(' | ')} | ${fmt(r.meanOfTargets)} | ${fmt(r.pooled)} |`),
    '',
    `A ρ is "–" where it is undefined (fewer than ${MIN_POINTS} pairs, or a constant series such as equal gains).`,
    '',
  ];
}
