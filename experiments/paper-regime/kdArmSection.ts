/**
 * The report's section on the stronger-distillation arm (`kd <target>`, `<t>/kd-strong/runs.json`):
 * PANDA at λ = 1 with the plain-mean KD beside PoT and prompt tuning rerun at seed 1, and beside the
 * main grid's PANDA at the released settings, from the same sources.
 */
import { bootstrapMeanInterval, pairedDifferences, summary } from '@panda/transfer';

/** The fields of a committed run this section reads. */
export interface ArmRow {
  id: string;
  kind: string;
  source: string | null;
  status: string;
  dev: number | null;
  history: Array<{ devScore: number }>;
}

type Protocol = 'paper' | 'unbiased';
type Score = (c: ArmRow, p: Protocol) => number | null;

const pct = (x: number) => (100 * x).toFixed(2);
const seed1 = (c: ArmRow) => /@s1$/.test(c.id) && c.status === 'done';

/** Source → score of `kind` at seed 1. */
function bySource(cells: readonly ArmRow[], kind: string, p: Protocol, score: Score): Map<string, number> {
  return new Map(cells.filter((c) => c.kind === kind && seed1(c) && c.source !== null && score(c, p) !== null).map((c) => [c.source!, score(c, p)!]));
}

function diffLine(name: string, p: Protocol, a: Map<string, number>, b: Map<string, number> | number): string | undefined {
  const ds = [...a].filter(([s]) => typeof b === 'number' || b.has(s)).map(([s, x]) => x - (typeof b === 'number' ? b : b.get(s)!));
  if (!ds.length) return undefined;
  const d = pairedDifferences(ds, ds.map(() => 0));
  const ci = bootstrapMeanInterval(d.differences, { seed: `kd-strong/${name}/${p}` });
  return `| ${name} | ${p} | ${ds.length} | ${pct(d.mean)} | [${pct(ci.low)}, ${pct(ci.high)}] | ${d.positive} / ${d.negative} / ${d.ties} |`;
}

/** The arm's tables for every target that has one (`arms`: target → the arm's cells; `main`: target → the main grid's cells). */
export function kdArmSection(arms: ReadonlyMap<string, readonly ArmRow[]>, main: ReadonlyMap<string, readonly ArmRow[]>, score: Score): string[] {
  if (!arms.size) return [];
  const md = [
    '## The stronger-distillation arm: PANDA at λ = 1 with the plain-mean KD (seed 1, every source)',
    '',
    'The main grid runs the released settings (λ = 0.1, KD = mean((z_S − z_T)²) / B). This arm reruns prompt tuning and PoT at seed 1 and trains PANDA from every source with λ = 1 and KD = mean((z_S − z_T)²), 160 times the released KD gradient at batch 16 (λ ×10, one division by B fewer). The released PANDA rows are the main grid\'s.',
    '',
  ];
  for (const [target, cells] of arms) {
    const grid = main.get(target) ?? [];
    const same = cells.filter((c) => (c.kind === 'prompt-tuning' || c.kind === 'pot') && seed1(c)).map((c) => ({ c, m: grid.find((g) => g.id === c.id && g.status === 'done') })).filter((x) => x.m);
    const identical = same.filter((x) => x.c.dev === x.m!.dev).length;
    md.push(`### ${target}`, '', `Reproduction: ${identical} of ${same.length} prompt-tuning and PoT runs of the arm give the main grid's dev score exactly (same seed, same settings).`, '');
    md.push('| protocol | prompt tuning | PoT, mean over sources | PANDA λ = 0.1 (released), mean | PANDA λ = 1, mean | PANDA λ = 1: sources below prompt tuning |', '|---|---:|---:|---:|---:|---:|');
    const lines: string[] = [];
    for (const p of ['paper', 'unbiased'] as const) {
      const pt = cells.find((c) => c.kind === 'prompt-tuning' && seed1(c));
      const ptScore = pt ? score(pt, p) : null;
      const pot = bySource(cells, 'pot', p, score);
      const strong = bySource(cells, 'panda', p, score);
      const released = bySource(grid, 'panda', p, score);
      const mean = (m: Map<string, number>) => (m.size ? pct(summary([...m.values()]).mean) : '–');
      const below = ptScore === null ? '–' : `${[...strong.values()].filter((x) => x < ptScore).length}/${strong.size}`;
      md.push(`| ${p} | ${ptScore === null ? '–' : pct(ptScore)} | ${mean(pot)} | ${mean(released)} | ${mean(strong)} | ${below} |`);
      for (const l of [diffLine('PANDA λ = 1 − PoT', p, strong, pot), diffLine('PANDA λ = 1 − PANDA λ = 0.1', p, strong, released), ptScore === null ? undefined : diffLine('PANDA λ = 1 − prompt tuning', p, strong, ptScore)]) if (l) lines.push(l);
    }
    md.push('', '| comparison (same source) | protocol | pairs | mean | 95 % bootstrap interval | better / worse / tied |', '|---|---|---:|---:|---|---|', ...lines, '');
  }
  return md;
}
