import { join } from 'node:path';
import { PandaError, silent, type ProgressListener } from '@panda/core';
import { runConfigPathSync, tuneMany, type TuneJob, type TuneRunner } from '@panda/tuner';
import type { Backbone } from '@panda/backbones';
import { betaFrom } from '../beta/beta.js';
import { transferMetric } from '../metrics/transferMetrics.js';
import { gridSpecSchema, type GridSpec, type GridSpecInput } from './spec.js';
import { GridStore, type TaskRow } from './store.js';
import { cellId, cellRow, selectionScoreOf, type Cell } from './cells.js';
import { computeTaskEmbeddings } from './embeddings.js';

export interface RunGridOptions {
  /** Folder of the grid: `grid.sqlite`, `runs/` (saved prompts: the sources and the PoT teachers). */
  dir: string;
  spec: GridSpecInput;
  onProgress?: ProgressListener;
  /** A loaded backbone for the in-process parts (task embeddings); default: the spec's `model`. */
  backbone?: Backbone;
  /**
   * Where the runs execute: a local process pool (`tuneMany`, the default) or a queue's workers
   * (`queueRunner` of @panda/queue). This process stays the one writer of the grid store either way.
   */
  runner?: TuneRunner;
}

/** Seconds between two progress lines of one cell. */
const CELL_PROGRESS_SECONDS = 10;

/** What the phases share: the spec, the store, where runs go, and the seeds. */
interface GridContext {
  spec: GridSpec;
  store: GridStore;
  dir: string;
  /** Every seed of the target runs (`seeds`, else `[seed]`); the first also trains the sources. */
  seeds: number[];
  /** The seed an id carries (`@s<seed>` with `seeds`, none without). */
  tag(seed: number): number | undefined;
  runDir(id: string): string;
  common: Partial<TuneJob>;
  base(seed: number): Record<string, unknown>;
  /** The saved prompt of a source, and whether it is there. */
  sourceDir(source: string): string;
  sourceReady(source: string): boolean;
  /** Key of a source's task embedding in the store (sources from another grid are kept apart from targets of the same name). */
  sourceKey(source: string): string;
}

function gridContext(spec: GridSpec, store: GridStore, dir: string): GridContext {
  const seeds = spec.seeds ?? [spec.seed];
  const tag = (seed: number) => (spec.seeds ? seed : undefined);
  const runDir = (id: string) => join(dir, 'runs', ...id.split('/'));
  const ownSource = (s: string) => cellId('prompt-tuning', null, s, tag(seeds[0]!));
  return {
    spec,
    store,
    dir,
    seeds,
    tag,
    runDir,
    common: { evaluateTest: spec.evaluateTest, ...(spec.dataDir ? { dataDir: spec.dataDir } : {}), ...(spec.model ? { model: spec.model } : {}) },
    base: (seed) => ({ ...spec.tuning, seed }),
    sourceDir: (s) => (spec.sourceGrid ? join(spec.sourceGrid, 'runs', 'prompt-tuning', s) : runDir(ownSource(s))),
    sourceReady: (s) => (spec.sourceGrid ? runConfigPathSync(join(spec.sourceGrid, 'runs', 'prompt-tuning', s)) !== undefined : store.done(ownSource(s))),
    sourceKey: (s) => (spec.sourceGrid ? `source:${s}` : s),
  };
}

/**
 * Runs an experiment grid (sources × targets × methods) in phases, in a pool of worker processes:
 * 1. prompt tuning on every task (the sources' prompts, unless `sourceGrid` gives them, and the
 *    targets' no-transfer baseline) and model tuning on every target, at every seed;
 * 2. task embeddings of every task through its own prompt (in this process);
 * 3. vanilla prompt transfer (PoT) for every source → target pair at the first seed, then at the
 *    other seeds for the `topSources` best of each target (these are PANDA's teachers);
 * 4. PANDA students with β from the metric (the same pairs and seeds), with a constant β (the
 *    ablation, first seed), and late fusion of each target's two best sources (at every seed where
 *    both their PoT runs are: every seed with `topSources` ≥ 2).
 * Each finished run is written to SQLite at once; rerunning the same grid in the same folder skips
 * every finished run, so an interrupted grid loses only the runs in flight and repeats none.
 */
export async function runGrid(options: RunGridOptions): Promise<{ dir: string; cells: number; ran: number; failed: number }> {
  const spec = gridSpecSchema.parse(options.spec);
  const onProgress = options.onProgress ?? silent;
  const store = new GridStore(options.dir);
  const counts = { ran: 0, failed: 0 };
  try {
    // Where this machine keeps the benchmark files is no setting of the runs (the folder may resume
    // elsewhere); seeds and the number of top sources choose cells, not how a cell runs.
    const { sources: _s, targets: _t, methods: _m, workers: _w, dataDir: _d, seeds: _e, topSources: _k, ...runSettings } = spec;
    store.bindSpec(runSettings);
    store.setLatestSpec(spec);
    const g = gridContext(spec, store, options.dir);
    const runPhase = (name: string, cells: Cell[]) => runCells(g, name, cells, options, counts);
    const methods = new Set(spec.methods);
    const transfer = ['pot', 'panda', 'panda-constant', 'panda-fusion'].some((m) => methods.has(m as never));

    // Sources from another grid must all be there before anything runs.
    const missing = transfer && spec.sourceGrid ? spec.sources.filter((s) => !g.sourceReady(s)) : [];
    if (missing.length) throw new PandaError('CONFIG_INVALID', `the source grid ${spec.sourceGrid} has no saved prompt for ${missing.join(', ')} (looked in ${missing.map((s) => g.sourceDir(s)).join(', ')})`);
    await runPhase('phase 1 (prompt tuning, model tuning)', baselineCells(g, methods.has('prompt-tuning') || transfer, methods.has('model-tuning')));
    if (!transfer) return { dir: options.dir, cells: store.cells().length, ran: counts.ran, failed: counts.failed };

    const targetDir = (t: string) => g.runDir(cellId('prompt-tuning', null, t, g.tag(g.seeds[0]!)));
    await computeTaskEmbeddings(g.store, spec, [
      ...spec.sources.filter((s) => g.sourceReady(s)).map((s) => ({ key: g.sourceKey(s), task: s, dir: g.sourceDir(s) })),
      ...spec.targets.filter((t) => store.done(cellId('prompt-tuning', null, t, g.tag(g.seeds[0]!)))).map((t) => ({ key: t, task: t, dir: targetDir(t) })),
    ], options.backbone, onProgress);
    const tasks = store.tasks();
    const pairs = spec.targets.flatMap((t) => spec.sources.filter((s) => s !== t && g.sourceReady(s) && tasks.has(g.sourceKey(s))).map((s) => ({ s, t })));
    const panda = transferMetric('PANDA');
    const similarity = (s: string, t: string) => panda.score(tasks.get(g.sourceKey(s))!, tasks.get(t)!);
    const metricBeta = (s: string, t: string) => betaFrom(similarity(s, t), spec.beta);

    // --- phase 3: vanilla prompt transfer (the teachers), first seed, then the top sources' other seeds ---
    const first = g.seeds[0]!;
    await runPhase('phase 3 (vanilla prompt transfer)', pairs.map(({ s, t }) => potCell(g, s, t, first)));
    const ranked = g.seeds.length > 1 || methods.has('panda-fusion') ? rankSources(g, pairs, first, onProgress) : new Map<string, string[]>();
    const top = (t: string, k: number) => (ranked.get(t) ?? []).slice(0, k);
    const seededPairs = pairs.flatMap(({ s, t }) => g.seeds.filter((seed) => seed === first || spec.topSources === undefined || top(t, spec.topSources).includes(s)).map((seed) => ({ s, t, seed })));
    if (g.seeds.length > 1) await runPhase('phase 3b (vanilla prompt transfer, more seeds)', seededPairs.filter((p) => p.seed !== first).map(({ s, t, seed }) => potCell(g, s, t, seed)));

    // --- phase 4: PANDA students (β from the metric; constant β; late fusion of the two best sources) ---
    const potDone = (s: string, t: string, seed: number) => store.done(cellId('pot', s, t, g.tag(seed))) && tasks.has(t);
    const anyPot = pairs.some(({ s, t }) => potDone(s, t, first));
    const constant = constantBeta(g, tasks, pairs, methods.has('panda-constant') && anyPot, metricBeta);
    const phase4: Cell[] = [];
    for (const { s, t, seed } of seededPairs) {
      if (!potDone(s, t, seed)) continue;
      if (methods.has('panda')) phase4.push(studentCell(g, 'panda', [s], t, seed, [metricBeta(s, t)], similarity(s, t)));
      if (methods.has('panda-constant') && seed === first) phase4.push(studentCell(g, 'panda-constant', [s], t, seed, [constant], similarity(s, t)));
    }
    if (methods.has('panda-fusion')) {
      for (const t of spec.targets) {
        const best = top(t, 2);
        if (best.length < 2) continue;
        for (const seed of g.seeds) if (best.every((s) => potDone(s, t, seed))) phase4.push(studentCell(g, 'panda-fusion', best, t, seed, best.map((s) => metricBeta(s, t)), null));
      }
    }
    await runPhase(`phase 4 (PANDA: β from the metric; constant β = ${constant.toFixed(4)}; late fusion)`, phase4);
    return { dir: options.dir, cells: store.cells().length, ran: counts.ran, failed: counts.failed };
  } finally {
    store.close();
  }
}

/** Phase 1: prompt tuning on the sources (first seed, unless another grid gives them) and on the targets, model tuning on the targets. */
function baselineCells(g: GridContext, prompts: boolean, modelTuning: boolean): Cell[] {
  const cells = new Map<string, Cell>();
  const add = (kind: string, task: string, seed: number, config: Record<string, unknown>, save: boolean) => {
    const id = cellId(kind, null, task, g.tag(seed));
    cells.set(id, { id, kind, source: null, target: task, beta: null, job: { task, config, ...(save ? { outDir: g.runDir(id) } : {}), ...g.common } });
  };
  if (prompts) {
    if (!g.spec.sourceGrid) for (const s of g.spec.sources) add('prompt-tuning', s, g.seeds[0]!, g.base(g.seeds[0]!), true);
    for (const t of g.spec.targets) for (const seed of g.seeds) add('prompt-tuning', t, seed, g.base(seed), true);
  }
  if (modelTuning) for (const t of g.spec.targets) for (const seed of g.seeds) add('model-tuning', t, seed, { ...g.base(seed), ...g.spec.modelTuning, method: 'model-tuning' }, false);
  return [...cells.values()];
}

function potCell(g: GridContext, s: string, t: string, seed: number): Cell {
  const id = cellId('pot', s, t, g.tag(seed));
  return { id, kind: 'pot', source: s, target: t, beta: null, job: { task: t, config: g.base(seed), initFrom: [{ dir: g.sourceDir(s) }], outDir: g.runDir(id), manifest: { transfer: { kind: 'pot', source: s } }, ...g.common } };
}

/** A PANDA student distilled from the PoT runs of `sources` on `t` at `seed` (one source, or two for late fusion). */
function studentCell(g: GridContext, kind: string, sources: string[], t: string, seed: number, betas: number[], similarity: number | null): Cell {
  const source = sources.join('+');
  const teachers = sources.map((s, i) => ({ dir: g.runDir(cellId('pot', s, t, g.tag(seed))), beta: betas[i]!, name: `${s}->${t}` }));
  return {
    id: cellId(kind, source, t, g.tag(seed)),
    kind,
    source,
    target: t,
    beta: betas.length === 1 ? betas[0]! : null,
    job: { task: t, config: { ...g.base(seed), ...g.spec.panda }, teachers, distill: g.spec.distill, manifest: { transfer: { kind, source, ...(similarity !== null ? { similarity } : {}), beta: betas.length === 1 ? betas[0] : betas } }, ...g.common },
  };
}

/**
 * Each target's sources, best first, by their PoT run's selection score at `seed` (ties: source
 * order; an undefined score last). A target is ranked once every one of its first-seed PoT runs is
 * done, and the ranking is then fixed in the store: a failed run retried later cannot change which
 * sources got the extra seeds.
 */
function rankSources(g: GridContext, pairs: ReadonlyArray<{ s: string; t: string }>, seed: number, onProgress: ProgressListener): Map<string, string[]> {
  const rows = new Map(g.store.cells().map((c) => [c.id, c]));
  const out = new Map<string, string[]>();
  for (const t of g.spec.targets) {
    const mine = pairs.filter((p) => p.t === t);
    if (!mine.length) continue;
    const ranking = g.store.ranking(t, () => {
      const scored = mine.map(({ s }) => {
        const row = rows.get(cellId('pot', s, t, g.tag(seed)));
        return { s, done: row?.status === 'done', score: row ? (selectionScoreOf(row) ?? Number.NaN) : Number.NaN };
      });
      if (!scored.every((x) => x.done)) return undefined;
      const key = (x: { score: number }) => (Number.isFinite(x.score) ? x.score : -Infinity);
      return scored.sort((a, b) => key(b) - key(a)).map((x) => x.s);
    });
    if (ranking) out.set(t, ranking);
    else onProgress({ type: 'log', message: `${t}: not every first-seed PoT run is done, so its top sources (extra seeds, late fusion) wait for a rerun` });
  }
  return out;
}

/**
 * β of the constant-β ablation: the spec's number, or 'mean': the mean metric β over every ordered
 * pair of distinct tasks with an embedding (over the grid's source → target pairs when the sources
 * come from another grid), fixed in the store the first time it is used, so a grid run part by part
 * or grown later uses one constant throughout.
 */
function constantBeta(g: GridContext, tasks: Map<string, TaskRow>, pairs: ReadonlyArray<{ s: string; t: string }>, fix: boolean, metricBeta: (s: string, t: string) => number): number {
  if (g.spec.constantBeta !== 'mean') return g.spec.constantBeta;
  const mean = (): number => {
    if (g.spec.sourceGrid) return pairs.length ? pairs.reduce((a, { s, t }) => a + metricBeta(s, t), 0) / pairs.length : 0;
    const names = [...tasks.keys()].sort();
    const all = names.flatMap((a) => names.filter((b) => b !== a).map((b) => [a, b] as const));
    return all.length ? all.reduce((acc, [a, b]) => acc + metricBeta(a, b), 0) / all.length : 0;
  };
  return fix ? g.store.constantBeta(mean) : mean();
}

/** Runs the cells not done yet, writing each outcome to the store as it ends. */
async function runCells(g: GridContext, name: string, cells: Cell[], options: RunGridOptions, counts: { ran: number; failed: number }): Promise<void> {
  const onProgress = options.onProgress ?? silent;
  const todo = cells.filter((c) => !g.store.done(c.id));
  onProgress({ type: 'log', message: `${name}: ${todo.length} of ${cells.length} runs to do` });
  if (todo.length === 0) return;
  let finished = 0;
  onProgress({ type: 'start', phase: 'grid', total: todo.length, message: name });
  const lastLine = new Map<number, number>();
  await (options.runner ?? tuneMany)(
    todo.map((c) => ({ ...c.job, label: c.id })),
    {
      ...(g.spec.workers ? { workers: g.spec.workers } : {}),
      // Per-cell progress, at most one line per cell every few seconds (the bar counts cells).
      onEvent: (i, e) => {
        if (e.type === 'eval') return onProgress({ type: 'log', message: `  ${todo[i]!.id}: epoch ${e.epoch}, ${Object.entries(e.metrics).map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(4)}`).join(', ')}` });
        if (e.type !== 'step' || Date.now() - (lastLine.get(i) ?? 0) < CELL_PROGRESS_SECONDS * 1000) return;
        lastLine.set(i, Date.now());
        onProgress({ type: 'log', message: `  ${todo[i]!.id}: ${e.phase} step ${e.step}/${e.total}${e.loss !== undefined ? `, loss ${e.loss.toFixed(4)}` : ''}` });
      },
      onOutcome: (i, outcome) => {
        const c = todo[i]!;
        finished++;
        counts.ran++;
        if (!outcome.ok) counts.failed++;
        g.store.put(cellRow(c, outcome.ok ? outcome.value : undefined, outcome.ok ? null : `${outcome.error.code}: ${outcome.error.message}`, outcome.seconds));
        onProgress({ type: 'log', message: `[${finished}/${todo.length}] ${c.id}: ${outcome.ok ? `dev ${(outcome.value.metrics.devScore * 100).toFixed(1)}${outcome.value.metrics.metric === 'accuracy' ? '%' : ` (${outcome.value.metrics.metric} ×100)`} (${outcome.seconds.toFixed(0)} s)` : `failed (${outcome.error.message})`}` });
        onProgress({ type: 'step', phase: 'grid', step: finished, total: todo.length });
      },
    },
  );
}
