import { join } from 'node:path';
import { writeFileAtomic } from '@panda/runtime';
import { listTransferMetrics, transferMetric, transferMetricRecord } from '../metrics/transferMetrics.js';
import { correlationSection, metricCorrelations } from './metricCorrelation.js';
import { gridSpecSchema, gridTasks, type GridSpec } from './spec.js';
import { GridStore, type CellRow, type TaskRow } from './store.js';
import { heatmapSvg } from './heatmap.js';
import { firstSeedTag } from './cells.js';

/**
 * The registered transferability metrics as a read-only name → function record.
 * @deprecated Use `listTransferMetrics()` / `transferMetric(name)`, and `registerTransferMetric` to add one.
 */
export const METRICS = transferMetricRecord();

const pct = (x: number | null | undefined) => (x === null || x === undefined || Number.isNaN(x) ? '–' : (100 * x).toFixed(1));
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);

/**
 * Writes the grid's report beside its results: `cells.csv` (every run), `report.md` (the paper's
 * layout: per target and on average; per-method source × target tables; the Spearman correlations
 * of every registered transferability metric with the PoT gains) and heatmaps (`similarity.svg`: the PANDA metric between all tasks; `gain-pot.svg`,
 * `gain-panda.svg`: transfer gains over prompt tuning). Returns the files written.
 */
export async function writeGridReport(dir: string, only?: { sources?: string[]; targets?: string[] }): Promise<string[]> {
  const store = new GridStore(dir);
  try {
    const specRow = (store.db.prepare("SELECT value FROM meta WHERE key = 'latest'").get() ?? store.db.prepare("SELECT value FROM meta WHERE key = 'spec'").get()) as { value: string } | undefined;
    const parsed: GridSpec = gridSpecSchema.parse(specRow ? JSON.parse(specRow.value) : { sources: ['?'], targets: ['?'] });
    const spec: GridSpec = { ...parsed, ...(only?.sources ? { sources: only.sources } : {}), ...(only?.targets ? { targets: only.targets } : {}) };
    const cells = store.cells();
    const tasks = gridTaskProfiles(store.tasks(), spec);
    // Only targets with a run of their own (a grid run part by part may not have reached them all).
    spec.targets = spec.targets.filter((t) => cells.some((c) => c.target === t && c.kind !== 'prompt-tuning'));
    // A grid with seeds: these tables show its first seed (the seeds' statistics are the experiment's own report).
    const suffix = firstSeedTag(spec);
    const get = (id: string) => cells.find((c) => c.id === `${id}${suffix}` && c.status === 'done');
    const score = (id: string) => get(id)?.dev ?? null;
    const files: string[] = [];

    // cells.csv
    const csvEsc = (v: unknown) => (v === null || v === undefined ? '' : /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
    const header = ['id', 'kind', 'source', 'target', 'status', 'dev', 'test', 'first_epoch_dev', 'beta', 'seconds', 'runs', 'error'];
    const csv = [header.join(','), ...cells.map((c) => [c.id, c.kind, c.source, c.target, c.status, c.dev, c.test, c.firstEpochDev, c.beta, c.seconds?.toFixed(1), c.runs, c.error].map(csvEsc).join(','))].join('\n') + '\n';
    await writeFileAtomic(join(dir, 'cells.csv'), csv);
    files.push(join(dir, 'cells.csv'));

    const md: string[] = [];
    const { targets, sources } = spec;
    // What every run of the grid shares: the backbone (the id runs recorded) and the tuning settings.
    const backboneId = cells.map((c) => (c.result as { backboneId?: string } | null)?.backboneId).find((id) => id !== undefined);
    const tuning = Object.entries(spec.tuning).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(', ');
    md.push(`Backbone: ${backboneId ?? spec.model ?? 'use-lite'}${spec.model ? ` (--model ${spec.model})` : ''}. Every prompt run: ${tuning}; ${spec.seeds ? `seeds ${spec.seeds.join(', ')} (the tables show seed ${spec.seeds[0]})` : `seed ${spec.seed}`}.`, '');
    const transferScores = (kind: string, t: string) => sources.filter((s) => s !== t).map((s) => score(`${kind}/${s}/${t}`)).filter((x): x is number => x !== null);
    // Targets scored by another metric than accuracy (their task's: STS-B mean(Pearson, Spearman),
    // CoLA MCC, ...) are shown ×100 like the paper, and named.
    const metricOf = (t: string) => cells.map((c) => (c.target === t ? (c.result as { metrics?: { metric?: string } } | null)?.metrics?.metric : undefined)).find((m) => m !== undefined);
    const otherMetric = targets.map((t) => ({ t, m: metricOf(t) })).filter((x): x is { t: string; m: string } => x.m !== undefined && x.m !== 'accuracy');
    const scoreNote = otherMetric.length ? `; ${otherMetric.map((x) => `${x.t}: ${x.m === 'pearson_and_spearman' ? 'mean of Pearson and Spearman' : x.m} ×100`).join(', ')}` : '';
    md.push(`## Per target (dev accuracy, %${scoreNote})`, '');
    md.push(`| method | ${targets.join(' | ')} | avg |`, `|---|${targets.map(() => '---:').join('|')}|---:|`);
    const row = (name: string, f: (t: string) => number | null) => {
      const xs = targets.map(f);
      const present = xs.filter((x): x is number => x !== null && !Number.isNaN(x));
      md.push(`| ${name} | ${xs.map(pct).join(' | ')} | ${present.length === targets.length ? pct(mean(present)) : '–'} |`);
    };
    row('model tuning', (t) => score(`model-tuning/${t}`));
    row('prompt tuning', (t) => score(`prompt-tuning/${t}`));
    row('PoT (mean over sources)', (t) => (transferScores('pot', t).length ? mean(transferScores('pot', t)) : null));
    row('PANDA (mean over sources)', (t) => (transferScores('panda', t).length ? mean(transferScores('panda', t)) : null));
    row('PANDA, constant β (mean)', (t) => (transferScores('panda-constant', t).length ? mean(transferScores('panda-constant', t)) : null));
    row('PoT (best source)', (t) => (transferScores('pot', t).length ? Math.max(...transferScores('pot', t)) : null));
    row('PANDA (best source)', (t) => (transferScores('panda', t).length ? Math.max(...transferScores('panda', t)) : null));
    md.push('');
    md.push('Sources where transfer hurt (score below prompt tuning on the target), of the sources run:', '');
    md.push(`| method | ${targets.join(' | ')} | total |`, `|---|${targets.map(() => '---:').join('|')}|---:|`);
    for (const kind of ['pot', 'panda', 'panda-constant']) {
      let total = 0;
      let n = 0;
      const xs = targets.map((t) => {
        const pt = score(`prompt-tuning/${t}`);
        const ss = transferScores(kind, t);
        if (pt === null || !ss.length) return '–';
        const hurt = ss.filter((x) => x < pt).length;
        total += hurt;
        n += ss.length;
        return `${hurt}/${ss.length}`;
      });
      md.push(`| ${kind} | ${xs.join(' | ')} | ${total}/${n} |`);
    }
    md.push('');

    for (const kind of ['pot', 'panda', 'panda-constant']) {
      if (!cells.some((c) => c.kind === kind)) continue;
      md.push(`## ${kind}: source × target (dev accuracy, %${scoreNote})`, '');
      md.push(`| source \\ target | ${targets.join(' | ')} | avg |`, `|---|${targets.map(() => '---:').join('|')}|---:|`);
      for (const s of sources) {
        const xs = targets.map((t) => (s === t ? null : score(`${kind}/${s}/${t}`)));
        const present = xs.filter((x): x is number => x !== null);
        md.push(`| ${s} | ${xs.map((x, j) => (sources[0] !== undefined && s === targets[j] ? '·' : pct(x))).join(' | ')} | ${pct(mean(present))} |`);
      }
      md.push('');
    }

    // Metric evaluation: Spearman between predicted transferability and measured PoT gain.
    if (tasks.size) {
      md.push(...correlationSection(metricCorrelations({ sources, targets, run: get, tasks, metrics: listTransferMetrics() }), targets));

      // Similarity matrix (PANDA metric) and heatmaps.
      const names = gridTasks(spec).filter((t) => tasks.has(t));
      const panda = transferMetric('PANDA');
      const sim = names.map((a) => names.map((b) => panda.score(tasks.get(a)!, tasks.get(b)!)));
      md.push('## PANDA metric between tasks (cosine of task embeddings)', '');
      md.push(`| | ${names.join(' | ')} |`, `|---|${names.map(() => '---:').join('|')}|`);
      names.forEach((a, i) => md.push(`| ${a} | ${sim[i]!.map((x) => x.toFixed(3)).join(' | ')} |`));
      md.push('');
      const simMin = Math.min(...sim.flat());
      await writeFileAtomic(join(dir, 'similarity.svg'), heatmapSvg({ title: 'PANDA metric: cosine of task embeddings', rows: names, cols: names, values: sim, min: Math.min(simMin, 0), max: 1, center: (Math.min(simMin, 0) + 1) / 2 }));
      files.push(join(dir, 'similarity.svg'));
    }
    for (const kind of ['pot', 'panda']) {
      const values = sources.map((s) =>
        targets.map((t) => {
          const pt = score(`prompt-tuning/${t}`);
          const x = s === t ? null : score(`${kind}/${s}/${t}`);
          return pt === null || x === null ? null : 100 * (x - pt);
        }),
      );
      if (!values.flat().some((v) => v !== null)) continue;
      const extent = Math.max(1, ...values.flat().filter((v): v is number => v !== null).map(Math.abs));
      await writeFileAtomic(join(dir, `gain-${kind}.svg`), heatmapSvg({ title: `${kind === 'pot' ? 'PoT' : 'PANDA'}: dev accuracy gain over prompt tuning (points)`, rows: sources, cols: targets, values, min: -extent, max: extent, center: 0, digits: 1 }));
      files.push(join(dir, `gain-${kind}.svg`));
    }
    const done = cells.filter((c) => c.status === 'done');
    md.push(`Runs: ${done.length} finished, ${cells.length - done.length} failed; ${cells.filter((c) => c.runs > 1).length} recorded more than once (a failed run retried). Run time: ${(done.reduce((a, c) => a + (c.seconds ?? 0), 0) / 60).toFixed(1)} worker-minutes.`, '');
    await writeFileAtomic(join(dir, 'report.md'), md.join('\n'));
    files.push(join(dir, 'report.md'));
    return files;
  } finally {
    store.close();
  }
}

/**
 * The task profiles the report reads by task name. With `sourceGrid`, a source's profile is stored
 * as `source:<name>` (its prompt is the other grid's); it is read under its name unless a target
 * has that name too.
 */
export function gridTaskProfiles(stored: Map<string, TaskRow>, spec: Pick<GridSpec, 'sourceGrid' | 'sources'>): Map<string, TaskRow> {
  if (!spec.sourceGrid) return stored;
  const out = new Map([...stored].filter(([k]) => !k.startsWith('source:')));
  for (const s of spec.sources) {
    const row = stored.get(`source:${s}`);
    if (row && !out.has(s)) out.set(s, row);
  }
  return out;
}

export type { CellRow };
