import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { silent, type ProgressListener } from '@panda/core';
import { initBackend } from '@panda/runtime';
import { loadBackbone, type Backbone } from '@panda/backbones';
import { asTrainable, getTask, resolveDataDir } from '@panda/datasets';
import { loadRun, tuneMany, type TuneJob, type TuneRunner, type TuneTaskResult } from '@panda/tuner';
import { describeRun } from '../embedding/taskEmbedding.js';
import { betaFrom } from '../beta/beta.js';
import { transferMetric } from '../metrics/transferMetrics.js';
import { gridSpecSchema, gridTasks, type GridSpec, type GridSpecInput } from './spec.js';
import { GridStore, type CellRow } from './store.js';

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

interface Cell {
  id: string;
  kind: string;
  source: string | null;
  target: string;
  beta: number | null;
  job: TuneJob;
}

/**
 * Runs an experiment grid (sources × targets × methods) in phases, in a pool of worker processes:
 * 1. prompt tuning on every task (the sources' prompts and the targets' no-transfer baseline) and
 *    model tuning on every target;
 * 2. task embeddings of every task through its own prompt (in this process);
 * 3. vanilla prompt transfer (PoT) for every source → target pair (these are PANDA's teachers);
 * 4. PANDA students with β from the metric, and with a constant β (the ablation).
 * Each finished run is written to SQLite at once; rerunning the same grid in the same folder skips
 * every finished run, so an interrupted grid loses only the runs in flight and repeats none.
 */
export async function runGrid(options: RunGridOptions): Promise<{ dir: string; cells: number; ran: number; failed: number }> {
  const spec = gridSpecSchema.parse(options.spec);
  const onProgress = options.onProgress ?? silent;
  const store = new GridStore(options.dir);
  let ran = 0;
  let failed = 0;
  try {
    // Where this machine keeps the benchmark files is no setting of the runs (the folder may resume elsewhere).
    const { sources: _s, targets: _t, methods: _m, workers: _w, dataDir: _d, ...runSettings } = spec;
    store.bindSpec(runSettings);
    store.setLatestSpec(spec);
    const runDir = (...parts: string[]) => join(options.dir, 'runs', ...parts);
    const base = { ...spec.tuning, seed: spec.seed };
    const common = { evaluateTest: spec.evaluateTest, ...(spec.dataDir ? { dataDir: spec.dataDir } : {}), ...(spec.model ? { model: spec.model } : {}) };
    const methods = new Set(spec.methods);
    const needPrompts = methods.has('prompt-tuning') || methods.has('pot') || methods.has('panda') || methods.has('panda-constant');

    const runPhase = async (name: string, cells: Cell[]): Promise<void> => {
      const todo = cells.filter((c) => !store.done(c.id));
      onProgress({ type: 'log', message: `${name}: ${todo.length} of ${cells.length} runs to do` });
      if (todo.length === 0) return;
      let finished = 0;
      onProgress({ type: 'start', phase: 'grid', total: todo.length, message: name });
      const lastLine = new Map<number, number>();
      await (options.runner ?? tuneMany)(
        todo.map((c) => ({ ...c.job, label: c.id })),
        {
          ...(spec.workers ? { workers: spec.workers } : {}),
          // Per-cell progress, at most one line per cell every few seconds (the bar counts cells).
          onEvent: (i, e) => {
            if (e.type !== 'step' || Date.now() - (lastLine.get(i) ?? 0) < CELL_PROGRESS_SECONDS * 1000) return;
            lastLine.set(i, Date.now());
            onProgress({ type: 'log', message: `  ${todo[i]!.id}: ${e.phase} step ${e.step}/${e.total}${e.loss !== undefined ? `, loss ${e.loss.toFixed(4)}` : ''}` });
          },
          onOutcome: (i, outcome) => {
            const c = todo[i]!;
            finished++;
            ran++;
            if (!outcome.ok) failed++;
            store.put(cellRow(c, outcome.ok ? outcome.value : undefined, outcome.ok ? null : `${outcome.error.code}: ${outcome.error.message}`, outcome.seconds));
            onProgress({ type: 'log', message: `[${finished}/${todo.length}] ${c.id}: ${outcome.ok ? `dev ${(outcome.value.metrics.devScore * 100).toFixed(1)}${outcome.value.metrics.metric === 'accuracy' ? '%' : ` (${outcome.value.metrics.metric} ×100)`} (${outcome.seconds.toFixed(0)} s)` : `failed (${outcome.error.message})`}` });
            onProgress({ type: 'step', phase: 'grid', step: finished, total: todo.length });
          },
        },
      );
    };

    // --- phase 1: prompt tuning on every task, model tuning on the targets ---
    const phase1: Cell[] = [];
    if (needPrompts) {
      for (const task of gridTasks(spec)) {
        phase1.push({ id: `prompt-tuning/${task}`, kind: 'prompt-tuning', source: null, target: task, beta: null, job: { task, config: base, outDir: runDir('prompt-tuning', task), ...common } });
      }
    }
    if (methods.has('model-tuning')) {
      for (const task of spec.targets) {
        phase1.push({ id: `model-tuning/${task}`, kind: 'model-tuning', source: null, target: task, beta: null, job: { task, config: { ...base, ...spec.modelTuning, method: 'model-tuning' }, ...common } });
      }
    }
    await runPhase('phase 1 (prompt tuning, model tuning)', phase1);

    const transfer = methods.has('pot') || methods.has('panda') || methods.has('panda-constant');
    if (!transfer) return { dir: options.dir, cells: store.cells().length, ran, failed };

    // --- phase 2: task embeddings through each task's own prompt ---
    const have = store.tasks();
    const missing = gridTasks(spec).filter((t) => !have.has(t) && store.done(`prompt-tuning/${t}`));
    if (missing.length) {
      await initBackend();
      const backbone = options.backbone ?? (await loadBackbone(spec.model));
      try {
        for (const task of missing) {
          onProgress({ type: 'log', message: `task embedding: ${task}` });
          const def = asTrainable(getTask(task));
          const dev = await def.load('dev', { dataDir: resolveDataDir(spec.dataDir), skipBadRows: true });
          const run = await loadRun(runDir('prompt-tuning', task));
          try {
            const prompt = (run.weights.prompt ?? run.weights.prefix) as tf.Tensor2D | undefined;
            const d = await describeRun(runDir('prompt-tuning', task), backbone, dev.examples, spec.embedding);
            store.putTask({ task, embedding: d.embedding, activationRate: d.activationRate, prompt: prompt ? (prompt.dataSync() as Float32Array) : new Float32Array(0), promptRows: prompt ? prompt.shape[0] : 0 });
          } finally {
            tf.dispose(run.weights);
          }
        }
      } finally {
        if (!options.backbone) backbone.dispose();
      }
    }
    const tasks = store.tasks();
    const pairs = spec.targets.flatMap((t) => spec.sources.filter((s) => s !== t).map((s) => ({ s, t })));
    const ready = (s: string) => store.done(`prompt-tuning/${s}`) && tasks.has(s);

    // --- phase 3: vanilla prompt transfer (the teachers) ---
    const needPot = methods.has('pot') || methods.has('panda') || methods.has('panda-constant');
    if (needPot) {
      await runPhase(
        'phase 3 (vanilla prompt transfer)',
        pairs.filter(({ s }) => ready(s)).map(({ s, t }) => ({
          id: `pot/${s}/${t}`,
          kind: 'pot',
          source: s,
          target: t,
          beta: null,
          job: { task: t, config: base, initFrom: [{ dir: runDir('prompt-tuning', s) }], outDir: runDir('pot', s, t), manifest: { transfer: { kind: 'pot', source: s } }, ...common },
        })),
      );
    }

    // --- phase 4: PANDA students (β from the metric, and constant β) ---
    const panda = transferMetric('PANDA');
    const similarity = (s: string, t: string) => panda.score(tasks.get(s)!, tasks.get(t)!);
    const metricBeta = (s: string, t: string) => betaFrom(similarity(s, t), spec.beta);
    const eligible = pairs.filter(({ s, t }) => ready(s) && tasks.has(t) && store.done(`pot/${s}/${t}`));
    // 'mean': the mean metric β over every ordered pair of distinct tasks with an embedding, computed
    // once and stored, so a grid run part by part (--targets) or grown later uses one constant throughout.
    const meanBeta = (): number => {
      const names = [...tasks.keys()].sort();
      const allPairs = names.flatMap((a) => names.filter((b) => b !== a).map((b) => [a, b] as const));
      return allPairs.length ? allPairs.reduce((acc, [a, b]) => acc + metricBeta(a, b), 0) / allPairs.length : 0;
    };
    const constant = spec.constantBeta === 'mean' ? (methods.has('panda-constant') && eligible.length ? store.constantBeta(meanBeta) : meanBeta()) : spec.constantBeta;
    const student = (kind: string, s: string, t: string, beta: number): Cell => ({
      id: `${kind}/${s}/${t}`,
      kind,
      source: s,
      target: t,
      beta,
      job: {
        task: t,
        config: { ...base, ...spec.panda },
        teachers: [{ dir: runDir('pot', s, t), beta, name: `${s}->${t}` }],
        distill: spec.distill,
        manifest: { transfer: { kind, source: s, similarity: similarity(s, t), beta } },
        ...common,
      },
    });
    const phase4: Cell[] = [];
    for (const { s, t } of eligible) {
      if (methods.has('panda')) phase4.push(student('panda', s, t, metricBeta(s, t)));
      if (methods.has('panda-constant')) phase4.push(student('panda-constant', s, t, constant));
    }
    await runPhase(`phase 4 (PANDA: β from the metric; constant β = ${constant.toFixed(4)})`, phase4);
    return { dir: options.dir, cells: store.cells().length, ran, failed };
  } finally {
    store.close();
  }
}

function cellRow(c: Cell, r: TuneTaskResult | undefined, error: string | null, seconds: number): CellRow {
  return {
    id: c.id,
    kind: c.kind,
    source: c.source,
    target: c.target,
    status: r ? 'done' : 'failed',
    dev: r ? r.metrics.devScore : null,
    test: r?.metrics.testScore ?? null,
    firstEpochDev: r?.history.find((h) => h.epoch === 1)?.devScore ?? null,
    beta: c.beta,
    seconds,
    error,
    result: r ? { metrics: r.metrics, history: r.history, steps: r.steps, trainSeconds: r.trainSeconds, stepsPerSecond: r.stepsPerSecond, sizes: r.sizes, trainableParams: r.trainableParams, config: r.config, backboneId: r.backboneId } : null,
  };
}
