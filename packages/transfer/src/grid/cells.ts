import type { TuneJob, TuneTaskResult } from '@panda/tuner';
import type { CellRow } from './store.js';

/** One run of the grid, before it runs: its id, what it is, and the job that runs it. */
export interface Cell {
  id: string;
  kind: string;
  source: string | null;
  target: string;
  beta: number | null;
  job: TuneJob;
}

/**
 * A cell's id: `<kind>/<target>` or `<kind>/<source>/<target>`, with `@s<seed>` at the end in a
 * grid with `seeds` (so every seed is its own cell, and seeds can be added to a grid later).
 */
export function cellId(kind: string, source: string | null, target: string, seed?: number): string {
  return `${kind}/${source === null ? '' : `${source}/`}${target}${seed === undefined ? '' : `@s${seed}`}`;
}

/** What a seeded grid's ids of its first seed end in (`@s<seed>`; '' without `seeds`): the seed summaries such as the grid report show. */
export function firstSeedTag(spec: { seeds?: readonly number[] | undefined }): string {
  return spec.seeds ? `@s${spec.seeds[0]}` : '';
}

/**
 * The score a run selected its weights by: its validation score when it carved a validation set
 * (NaN when that score was undefined, e.g. a correlation of constant predictions: never dev in its
 * place), else dev.
 */
export function selectionScoreOf(row: Pick<CellRow, 'dev' | 'result'>): number | null {
  const r = row.result as { metrics?: { validationScore?: number | null }; sizes?: { validation?: number } } | null;
  if (r?.sizes?.validation !== undefined || (r?.metrics && 'validationScore' in r.metrics)) return r.metrics?.validationScore ?? Number.NaN;
  return row.dev;
}

/** The store row of a finished (or failed) cell: scores, curve and settings, not the weights. */
export function cellRow(c: Cell, r: TuneTaskResult | undefined, error: string | null, seconds: number): CellRow {
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
    result: r ? { metrics: r.metrics, history: r.history, steps: r.steps, trainSeconds: r.trainSeconds, stepsPerSecond: r.stepsPerSecond, sizes: r.sizes, trainableParams: r.trainableParams, config: r.config, backboneId: r.backboneId, ...(r.distill ? { teachers: r.distill.teachers.map(({ name, beta }) => ({ name, beta })) } : {}) } : null,
  };
}
