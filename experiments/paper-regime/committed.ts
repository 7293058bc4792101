import { cp, mkdir, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '@panda/runtime';
import { GridStore, type CellRow } from '@panda/transfer';
import { RUN_CONFIG_FILE, RUN_FILES } from '@panda/tuner';

/**
 * A target's grid as committed files, and back: the per-run table (`runs.json`: every finished
 * run's scores, curve and settings), the choices the grid fixed on the way (each target's source
 * ranking and the constant β, which pick the cells that follow), and while the grid is unfinished
 * the saved prompts its remaining runs start from (`saved/`: the targets' own prompts, which the
 * task embeddings read, and the PoT runs, which are PANDA's teachers). A fresh machine rebuilds the
 * grid store from them and runs only what is left.
 */

/** A committed table, written atomically (the runtime's crash-safe write). */
export const writeJsonAtomic = (file: string, value: unknown): Promise<void> => writeFileAtomic(file, JSON.stringify(value, null, 1) + '\n');

/** What a store row's `result` holds (cellRow in @panda/transfer), as the committed table spells it out. */
interface CommittedCell extends Omit<CellRow, 'result'> {
  runs?: number;
  metrics: unknown;
  history: unknown[];
  steps: number | null;
  trainSeconds: number | null;
  stepsPerSecond?: number | null;
  sizes: unknown;
  trainableParams?: number | null;
  config?: Record<string, unknown> | null;
  backboneId?: string | null;
  lr: number | null;
  seed: number | null;
  teachers?: unknown;
}

/** The committed grid of one part. */
export interface CommittedGrid {
  cells: CommittedCell[];
  /** Store choices: `ranking/<target>` → sources best first, `constantBeta` → the number as text. */
  fixed?: Record<string, string>;
  spec?: unknown;
  /** False while the grid has runs left. */
  complete?: boolean;
}

/** A grid's runs as the committed table: ids, scores, curves and settings, never the weights. */
export function exportCells(gridDir: string): CommittedCell[] {
  if (!existsSync(join(gridDir, 'grid.sqlite'))) return [];
  const store = new GridStore(gridDir);
  try {
    return store.cells().map(({ result, ...c }) => {
      const r = result as { metrics?: unknown; history?: unknown[]; steps?: number; trainSeconds?: number; stepsPerSecond?: number; sizes?: unknown; trainableParams?: number; config?: Record<string, unknown> & { lr?: number; seed?: number }; backboneId?: string; teachers?: unknown } | null;
      return {
        ...c,
        metrics: r?.metrics ?? null,
        history: r?.history ?? [],
        steps: r?.steps ?? null,
        trainSeconds: r?.trainSeconds ?? null,
        stepsPerSecond: r?.stepsPerSecond ?? null,
        sizes: r?.sizes ?? null,
        trainableParams: r?.trainableParams ?? null,
        config: r?.config ?? null,
        backboneId: r?.backboneId ?? null,
        lr: r?.config?.lr ?? null,
        seed: r?.config?.seed ?? null,
        ...(r?.teachers ? { teachers: r.teachers } : {}),
      };
    });
  } finally {
    store.close();
  }
}

/** The choices the grid fixed in its store (source rankings, the constant β). */
export function exportFixed(gridDir: string): Record<string, string> {
  if (!existsSync(join(gridDir, 'grid.sqlite'))) return {};
  const store = new GridStore(gridDir);
  try {
    const rows = store.db.prepare("SELECT key, value FROM meta WHERE key LIKE 'ranking/%' OR key = 'constantBeta' ORDER BY key").all() as Array<{ key: string; value: string }>;
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  } finally {
    store.close();
  }
}

/** The run folders under `<gridDir>/runs` a finished cell saved (prompt tuning and PoT), by cell id. */
function savedRunIds(cells: readonly CommittedCell[], gridDir: string): string[] {
  return cells.filter((c) => c.status === 'done' && (c.kind === 'prompt-tuning' || c.kind === 'pot') && existsSync(join(gridDir, 'runs', ...c.id.split('/'), RUN_CONFIG_FILE))).map((c) => c.id);
}

/**
 * Copies the saved prompts of the finished cells into `<dir>/saved/` (the run files only, not the
 * checkpoint folder beside them); with `complete`, removes that folder instead (nothing is left to start from them).
 */
export async function exportSaved(dir: string, gridDir: string, cells: readonly CommittedCell[], complete: boolean): Promise<number> {
  const saved = join(dir, 'saved');
  if (complete) {
    await rm(saved, { recursive: true, force: true });
    return 0;
  }
  const ids = savedRunIds(cells, gridDir);
  for (const id of ids) {
    const to = join(saved, ...id.split('/'));
    if (existsSync(join(to, RUN_CONFIG_FILE))) continue;
    await mkdir(to, { recursive: true });
    for (const f of RUN_FILES) await cp(join(gridDir, 'runs', ...id.split('/'), f), join(to, f));
  }
  return ids.length;
}

/** A committed cell back as a store row (the inverse of exportCells). */
function rowOf(c: CommittedCell): CellRow {
  const { metrics, history, steps, trainSeconds, stepsPerSecond, sizes, trainableParams, config, backboneId, teachers, lr: _lr, seed: _seed, runs: _runs, ...row } = c;
  const result = c.status === 'done' ? { metrics, history, steps, trainSeconds, stepsPerSecond, sizes, trainableParams, config, backboneId, ...(teachers ? { teachers } : {}) } : null;
  return { ...row, result };
}

/**
 * On a machine without the grid's store, rebuilds it from the committed table: every finished cell,
 * the fixed choices, and the saved prompts put back where the grid keeps them. Refuses a committed
 * grid made with other settings (`spec`, compared as JSON). Returns the number of cells restored (0
 * when the store is already there or nothing is committed) and whether the committed grid was
 * complete (then only counted: its committed files are the result, and no store is rebuilt).
 */
export async function restoreGrid(dir: string, gridDir: string, spec: unknown): Promise<{ cells: number; complete: boolean }> {
  const file = join(dir, 'runs.json');
  const none = { cells: 0, complete: false };
  if (existsSync(join(gridDir, 'grid.sqlite')) || !existsSync(file)) return none;
  const committed = JSON.parse(await readFile(file, 'utf8')) as CommittedGrid;
  if (!committed.cells?.length) return none;
  if (committed.spec !== undefined && JSON.stringify(committed.spec) !== JSON.stringify(spec)) {
    throw new Error(`${file} was made with other settings than this part runs now; move it aside to start over (committed: ${JSON.stringify(committed.spec)})`);
  }
  // A complete grid is the result itself: its saved prompts are gone, so a store rebuilt from it could
  // not recompute what reads them (the pair metrics); nothing is rebuilt.
  if (committed.complete === true) return { cells: committed.cells.filter((c) => c.status === 'done').length, complete: true };
  // Failed cells are not restored (the grid retries them), nor, in an unfinished grid, a prompt
  // tuning or PoT run whose saved prompt was not committed (later runs start from it: it reruns).
  const done: CommittedCell[] = [];
  for (const c of committed.cells) {
    if (c.status !== 'done') continue;
    const from = join(dir, 'saved', ...c.id.split('/'));
    if (existsSync(join(from, RUN_CONFIG_FILE))) await cp(from, join(gridDir, 'runs', ...c.id.split('/')), { recursive: true });
    else if (!committed.complete && (c.kind === 'prompt-tuning' || c.kind === 'pot')) continue;
    done.push(c);
  }
  const store = new GridStore(gridDir);
  try {
    store.db.transaction(() => done.forEach((c) => store.put(rowOf(c))))();
    for (const [key, value] of Object.entries(committed.fixed ?? {})) {
      if (key === 'constantBeta') store.constantBeta(() => Number(value));
      else if (key.startsWith('ranking/')) store.ranking(key.slice('ranking/'.length), () => JSON.parse(value) as string[]);
    }
    return { cells: done.length, complete: false };
  } finally {
    store.close();
  }
}
