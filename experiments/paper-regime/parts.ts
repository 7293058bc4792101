import { cp, mkdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { GridStore, listTransferMetrics, runGrid, selectionScoreOf, type GridSpecInput } from '@panda/transfer';
import { RUN_CONFIG_FILE, RUN_FILES, tuneMany, type TuneJob } from '@panda/tuner';
import { experimentDataDir } from '../dataDir.js';
import { exportCells, exportFixed, exportSaved, restoreGrid, writeJsonAtomic } from './committed.js';
import { GATE, KD_STRONG, MODEL_LR, PANDA_LR_SHARE, PROBE_TUNING, ROOT, SEEDS, SMOKE, SOURCES, SOURCE_TUNING, SWEEP_LRS, TOP_SOURCES, targetTuning } from './settings.js';

export interface PartOptions {
  workers?: number;
  /** Tiny settings in `<root>/smoke/`: the pipeline end to end, not a result. */
  smoke?: boolean;
  log: (message: string) => void;
}

const partRoot = (o: PartOptions) => (o.smoke ? join(ROOT, 'smoke') : ROOT);
const sourceList = (o: PartOptions) => (o.smoke ? SMOKE.sources : SOURCES);
const sourceTuning = (o: PartOptions) => (o.smoke ? { ...SOURCE_TUNING, ...SMOKE.caps } : { ...SOURCE_TUNING });
const progress = (o: PartOptions) => (e: { type: string; message?: string }) => (e.type === 'log' && e.message ? o.log(e.message) : undefined);

/**
 * Part 1: the source prompts (one seed) and beside each the linear probe on the same rows, selected
 * on dev the same way. Commits `sources/runs.json`, `sources/probes.json` and the source prompts
 * themselves (`sources/prompts/<task>`: a few hundred kB, what the target parts start from).
 */
export async function sourcesPart(o: PartOptions & { only?: 'export' | 'probes' }): Promise<void> {
  const dir = join(partRoot(o), 'sources');
  const gridDir = join(dir, 'grid');
  await mkdir(dir, { recursive: true });
  const tuning = sourceTuning(o);
  if (!o.only) {
    const spec: GridSpecInput = { sources: sourceList(o), targets: [sourceList(o).at(-1)!], methods: ['prompt-tuning'], tuning, seed: 42, dataDir: experimentDataDir(), ...(o.workers ? { workers: o.workers } : {}) };
    const t0 = performance.now();
    const r = await runGrid({ dir: gridDir, spec, onProgress: progress(o) });
    o.log(`source prompts: ${r.cells} cells, ${r.ran} run now, ${r.failed} failed, ${((performance.now() - t0) / 60000).toFixed(1)} min`);
  }
  if (o.only !== 'export') await probes(dir, tuning, o);
  await exportSources(dir, gridDir, tuning, o);
}

/** The linear probe of every source on the same rows (same sample seed and caps), selected on dev the same way. */
async function probes(dir: string, tuning: { maxTrainExamples: number; maxEvalExamples: number }, o: PartOptions): Promise<void> {
  const probeFile = join(dir, 'probes.json');
  const probes: Record<string, unknown> = existsSync(probeFile) ? JSON.parse(await readFile(probeFile, 'utf8')) : {};
  const todo = sourceList(o).filter((t) => !probes[t]);
  const probeConfig = { ...PROBE_TUNING, seed: 42, maxTrainExamples: tuning.maxTrainExamples, maxEvalExamples: tuning.maxEvalExamples };
  const jobs: TuneJob[] = todo.map((task) => ({ label: `linear-probe/${task}`, task, dataDir: experimentDataDir(), evaluateTest: false, config: probeConfig }));
  if (jobs.length) {
    await tuneMany(jobs, {
      ...(o.workers ? { workers: o.workers } : {}),
      onOutcome: async (i, out) => {
        const task = todo[i]!;
        if (!out.ok) return o.log(`linear-probe/${task} failed: ${out.error.message}`);
        probes[task] = { dev: out.value.metrics.devScore, metric: out.value.metrics.metric, seconds: out.seconds, history: out.value.history, config: out.value.config };
        await writeJsonAtomic(probeFile, probes);
        o.log(`linear-probe/${task}: dev ${(out.value.metrics.devScore * 100).toFixed(2)} (${out.seconds.toFixed(0)} s)`);
      },
    });
  }
}

/** Commits what part 1 has so far: the per-run table and the finished source prompts (the run files only, not the checkpoint folder beside them). */
async function exportSources(dir: string, gridDir: string, tuning: Record<string, unknown>, o: PartOptions): Promise<void> {
  const cells = exportCells(gridDir) as Array<{ id: string; status: string }>;
  for (const s of sourceList(o)) {
    const from = join(gridDir, 'runs', 'prompt-tuning', s);
    if (!cells.some((c) => c.id === `prompt-tuning/${s}` && c.status === 'done') || !existsSync(join(from, RUN_CONFIG_FILE))) continue;
    await mkdir(join(dir, 'prompts', s), { recursive: true });
    for (const f of RUN_FILES) await cp(join(from, f), join(dir, 'prompts', s, f));
  }
  await writeJsonAtomic(join(dir, 'runs.json'), { part: 'sources', tuning, seed: 42, cells });
  o.log(`wrote ${join(dir, 'runs.json')} (${cells.length} runs) and ${join(dir, 'prompts')}`);
}

/**
 * The gate's repeat: the source prompt and its linear probe at more seeds (settings.GATE) for the
 * sources that trailed their probe at seed 42. Commits `sources/gate.json` after every run, and a
 * rerun skips the runs already in it.
 */
export async function gatePart(o: PartOptions): Promise<void> {
  const dir = join(partRoot(o), 'sources');
  const file = join(dir, 'gate.json');
  const gate: { runs: Record<string, unknown> } = existsSync(file) ? JSON.parse(await readFile(file, 'utf8')) : { runs: {} };
  const tuning = sourceTuning(o);
  const tasks = o.smoke ? SMOKE.sources.slice(0, 1) : GATE.tasks;
  const all = tasks.flatMap((task) => GATE.seeds.flatMap((seed) => [
    { key: `prompt/${task}@s${seed}`, job: { label: `prompt/${task}@s${seed}`, task, config: { ...tuning, seed }, outDir: join(dir, 'gate', 'runs', `${task}@s${seed}`), overwrite: true } },
    { key: `probe/${task}@s${seed}`, job: { label: `probe/${task}@s${seed}`, task, config: { ...PROBE_TUNING, seed, maxTrainExamples: tuning.maxTrainExamples, maxEvalExamples: tuning.maxEvalExamples } } },
  ]));
  const todo = all.filter((j) => !gate.runs[j.key]);
  o.log(`gate: ${todo.length} of ${all.length} runs to do`);
  await tuneMany(todo.map((j) => ({ ...j.job, dataDir: experimentDataDir(), evaluateTest: false })), {
    ...(o.workers ? { workers: o.workers } : {}),
    onEvent: (i, e) => (e.type === 'eval' ? o.log(`  ${todo[i]!.key}: epoch ${e.epoch}, dev ${((e.metrics.devScore ?? Number.NaN) * 100).toFixed(2)}`) : undefined),
    onOutcome: async (i, out) => {
      const key = todo[i]!.key;
      if (!out.ok) return o.log(`${key} failed: ${out.error.message}`);
      gate.runs[key] = { dev: out.value.metrics.devScore, metric: out.value.metrics.metric, seconds: out.seconds, history: out.value.history, config: out.value.config };
      await writeJsonAtomic(file, gate);
      o.log(`${key}: dev ${(out.value.metrics.devScore * 100).toFixed(2)} (${out.seconds.toFixed(0)} s)`);
    },
  });
}

/** The source grid a target part transfers from; on a fresh machine its prompts come back from the committed copies. */
async function sourceGridDir(o: PartOptions): Promise<string> {
  const dir = join(partRoot(o), 'sources');
  for (const s of sourceList(o)) {
    const want = join(dir, 'grid', 'runs', 'prompt-tuning', s);
    if (!existsSync(want) && existsSync(join(dir, 'prompts', s))) await cp(join(dir, 'prompts', s), want, { recursive: true });
    if (!existsSync(want)) throw new Error(`the source prompt of ${s} is missing (${want}): run the sources part first`);
  }
  return join(dir, 'grid');
}

/**
 * A target part: the learning-rate sweep on prompt tuning (one seed, chosen by the validation
 * score), then the target's grid at three seeds (MT, PT, PoT and PANDA from every source at the
 * first seed and from the two best at all three, constant-β PANDA, late fusion). Commits
 * `<target>/sweep.json`, `<target>/runs.json` and `<target>/metrics.json` (every transferability
 * metric for every source → target pair). `only: 'export'` writes the two tables from what the grid
 * has finished so far (marked `complete: false`) without running anything.
 */
export async function targetPart(target: string, o: PartOptions & { only?: 'export'; arm?: 'kd-strong' }): Promise<void> {
  const targetDir = join(partRoot(o), target);
  const dir = o.arm ? join(targetDir, o.arm) : targetDir;
  await mkdir(dir, { recursive: true });
  const sources = sourceList(o).filter((s) => s !== target);
  const tuningFor = (lr: number) => ({ ...targetTuning(target, lr), ...(o.smoke ? SMOKE.caps : {}) });
  const common = { dataDir: experimentDataDir(), ...(o.workers ? { workers: o.workers } : {}) };
  const lr = await sweepPart(target, targetDir, tuningFor, common, o);

  const gridDir = join(dir, 'grid');
  const spec: GridSpecInput = {
    sources,
    targets: [target],
    methods: o.arm ? ['prompt-tuning', 'pot', 'panda'] : ['prompt-tuning', 'model-tuning', 'pot', 'panda', 'panda-constant', 'panda-fusion'],
    tuning: tuningFor(lr),
    modelTuning: { modelLr: MODEL_LR },
    panda: { lr: lr * PANDA_LR_SHARE },
    // A deterministic teacher: its logits are computed once per example (λ = 0.1 and the released code's KD normalisation by default).
    distill: { teacherDropout: false, ...(o.arm ? KD_STRONG : {}) },
    embedding: { samples: o.smoke ? 16 : 100, maxSeqLength: 64 },
    seeds: o.arm ? [1] : o.smoke ? SMOKE.seeds : SEEDS,
    topSources: TOP_SOURCES,
    sourceGrid: await sourceGridDir(o),
    ...common,
  };
  const committedSpec = { ...spec, dataDir: undefined, workers: undefined };
  const restored = await restoreGrid(dir, gridDir, JSON.parse(JSON.stringify(committedSpec)));
  if (restored.complete) o.log(`${target}: the committed grid is complete (${restored.cells} finished runs in ${join(dir, 'runs.json')}): nothing to run; move runs.json aside to run it again`);
  else if (restored.cells) o.log(`${target}: ${restored.cells} finished runs restored from ${join(dir, 'runs.json')}`);
  const save = (complete: boolean) => exportTarget({ target, dir, gridDir, sources, lr, spec: committedSpec, complete }, o);
  // A complete committed grid is the result itself (its saved prompts are gone, so its pair metrics could not be recomputed): leave its files as they are.
  if (restored.complete) {
    if (o.only !== 'export' && !o.arm) await targetProbes(target, dir, tuningFor(lr), o);
    return;
  }
  if (o.only !== 'export') {
    const t0 = performance.now();
    const r = await runGrid({ dir: gridDir, spec, onProgress: everyFewMinutes(progress(o), () => save(false), o) });
    o.log(`${target}: ${r.cells} cells, ${r.ran} run now, ${r.failed} failed, ${((performance.now() - t0) / 60000).toFixed(1)} min`);
  }
  // The store holds only finished cells (done or failed), so a partial export cannot tell how many are left: `complete` says whether the grid ran to its end.
  await save(o.only !== 'export');
  if (o.only !== 'export' && !o.arm) await targetProbes(target, dir, tuningFor(lr), o);
}

/** Seconds between two exports of a running target grid (so an interrupted session loses at most this much). */
const EXPORT_EVERY_SECONDS = 300;

/**
 * A progress listener that also runs `save` after a finished run, at most every EXPORT_EVERY_SECONDS
 * (one save at a time; a failed save is logged and the grid goes on).
 */
function everyFewMinutes(listener: (e: { type: string; phase?: string; message?: string }) => void, save: () => Promise<void>, o: PartOptions) {
  let last = performance.now();
  let busy = false;
  return (e: { type: string; phase?: string; message?: string }) => {
    listener(e);
    if (e.type !== 'step' || e.phase !== 'grid' || busy || performance.now() - last < EXPORT_EVERY_SECONDS * 1000) return;
    busy = true;
    last = performance.now();
    save()
      .catch((err: unknown) => o.log(`export failed (the grid goes on): ${String(err)}`))
      .finally(() => (busy = false));
  };
}

/** Commits a target grid's tables: the runs, the choices it fixed, the saved prompts its remaining runs need, and every pair's metrics. */
async function exportTarget(p: { target: string; dir: string; gridDir: string; sources: readonly string[]; lr: number; spec: unknown; complete: boolean }, o: PartOptions): Promise<void> {
  const cells = exportCells(p.gridDir);
  const saved = await exportSaved(p.dir, p.gridDir, cells, p.complete);
  await writeJsonAtomic(join(p.dir, 'runs.json'), { part: p.target, lr: p.lr, complete: p.complete, spec: p.spec, fixed: exportFixed(p.gridDir), cells });
  await writeJsonAtomic(join(p.dir, 'metrics.json'), { target: p.target, pairs: pairMetrics(p.gridDir, p.sources, p.target) });
  o.log(`wrote ${join(p.dir, 'runs.json')} (${cells.length} runs${p.complete ? '' : `, not complete; ${saved} saved prompts in ${join(p.dir, 'saved')}`})`);
}

/**
 * The cheap baseline beside a target's table: the linear probe on the frozen encoder at every seed,
 * on the same rows and validation split as the grid's runs (the same caps and seeds), epochs and
 * patience as settings.PROBE_TUNING. Commits `<target>/probes.json` after every run; a rerun skips what it has.
 */
async function targetProbes(target: string, dir: string, tuning: Record<string, unknown>, o: PartOptions): Promise<void> {
  const file = join(dir, 'probes.json');
  const done: Record<string, unknown> = existsSync(file) ? JSON.parse(await readFile(file, 'utf8')) : {};
  const seeds = (o.smoke ? SMOKE.seeds : SEEDS).filter((seed) => !done[`linear-probe/${target}@s${seed}`]);
  const { validationSplit, maxTrainExamples, maxEvalExamples, maxSeqLength } = tuning;
  const config = { ...PROBE_TUNING, validationSplit, maxTrainExamples, maxEvalExamples, ...(maxSeqLength ? { maxSeqLength } : {}), ...(o.smoke ? { epochs: SMOKE.caps.epochs } : {}) };
  await tuneMany(seeds.map((seed) => ({ label: `linear-probe/${target}@s${seed}`, task: target, dataDir: experimentDataDir(), evaluateTest: false, config: { ...config, seed } as TuneJob['config'] })), {
    ...(o.workers ? { workers: o.workers } : {}),
    onOutcome: async (i, out) => {
      const id = `linear-probe/${target}@s${seeds[i]}`;
      if (!out.ok) return o.log(`${id} failed: ${out.error.message}`);
      done[id] = { dev: out.value.metrics.devScore, validationScore: out.value.metrics.validationScore ?? null, metric: out.value.metrics.metric, seconds: out.seconds, history: out.value.history, sizes: out.value.sizes, config: out.value.config };
      await writeJsonAtomic(file, done);
      o.log(`${id}: dev ${(out.value.metrics.devScore * 100).toFixed(2)} (${out.seconds.toFixed(0)} s)`);
    },
  });
}

/** A target's learning-rate sweep on prompt tuning (first seed), chosen by the validation score; a committed `sweep.json` with every rate is taken as it is (a fresh machine does not rerun it). */
async function sweepPart(target: string, dir: string, tuningFor: (lr: number) => Record<string, unknown>, common: { dataDir: string; workers?: number }, o: PartOptions): Promise<number> {
  const file = join(dir, 'sweep.json');
  const lrs = o.smoke ? SMOKE.lrs : SWEEP_LRS;
  const committed = existsSync(file) ? (JSON.parse(await readFile(file, 'utf8')) as { lrs: Record<string, { validation: number | null }>; chosen: number }) : undefined;
  if (committed && lrs.every((lr) => typeof committed.lrs[lr]?.validation === 'number')) {
    o.log(`${target}: learning rate ${committed.chosen} (the committed sweep)`);
    return committed.chosen;
  }
  const sweep: Record<string, { validation: number | null; dev: number | null }> = {};
  for (const lr of lrs) {
    const gridDir = join(dir, 'sweep', `lr-${lr}`);
    await runGrid({ dir: gridDir, spec: { sources: [target], targets: [target], methods: ['prompt-tuning'], tuning: tuningFor(lr), seed: (o.smoke ? SMOKE.seeds : SEEDS)[0]!, ...common }, onProgress: progress(o) });
    const cell = (exportCells(gridDir) as Array<{ id: string; dev: number | null; metrics: { validationScore?: number } | null }>).find((c) => c.id === `prompt-tuning/${target}`);
    sweep[lr] = { validation: cell ? selectionScoreOf({ dev: cell.dev, result: { metrics: cell.metrics } }) : null, dev: cell?.dev ?? null };
  }
  const lr = Number(Object.entries(sweep).sort(([, a], [, b]) => (b.validation ?? -Infinity) - (a.validation ?? -Infinity))[0]![0]);
  await writeJsonAtomic(file, { target, lrs: sweep, chosen: lr, by: 'validation score of prompt tuning, first seed' });
  o.log(`${target}: learning rate ${lr} (sweep ${JSON.stringify(sweep)})`);
  return lr;
}

/** Every registered transferability metric for every source → target pair (the report's ρ needs only these values). */
function pairMetrics(gridDir: string, sources: readonly string[], target: string): Array<Record<string, number | string>> {
  const store = new GridStore(gridDir);
  try {
    const tasks = store.tasks();
    const t = tasks.get(target);
    if (!t) return [];
    return sources.flatMap((s) => {
      const p = tasks.get(`source:${s}`);
      return p ? [{ source: s, target, ...Object.fromEntries(listTransferMetrics().map((m) => [m.name, m.score(p, t)])) }] : [];
    });
  } finally {
    store.close();
  }
}
