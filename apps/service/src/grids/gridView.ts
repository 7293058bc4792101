import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { GridStore, firstSeedTag, gridSpecSchema, gridTaskProfiles, gridTasks, transferMetric, type CellRow } from '@panda/transfer';
import type { gridSummarySchema, gridViewSchema } from '../api/schemas.js';
import type { GridFolder } from './gridFolders.js';

type GridView = z.infer<typeof gridViewSchema>;
const TRANSFER_KINDS = ['pot', 'panda', 'panda-constant'];
const BASELINE_KINDS = ['prompt-tuning', 'model-tuning'];

/** Counts of a grid folder, for the list. */
export function gridSummary(g: GridFolder): z.infer<typeof gridSummarySchema> {
  const store = new GridStore(g.dir);
  try {
    const cells = store.cells();
    return { name: g.name, cells: cells.length, done: cells.filter((c) => c.status === 'done').length, tasks: store.tasks().size, updatedAt: statSync(join(g.dir, 'grid.sqlite')).mtime.toISOString() };
  } finally {
    store.close();
  }
}

/**
 * A grid as the page shows it, read from its `grid.sqlite` with the transfer package's GridStore
 * and laid out as `panda grid`'s report does: per target the baselines (prompt tuning, model
 * tuning), per transfer method the source × target dev scores and their gain over prompt tuning
 * on the target (points), and the PANDA metric between the tasks. A grid with seeds shows its first seed.
 */
export function gridView(g: GridFolder): GridView {
  const store = new GridStore(g.dir);
  try {
    const specRow = (store.db.prepare("SELECT value FROM meta WHERE key = 'latest'").get() ?? store.db.prepare("SELECT value FROM meta WHERE key = 'spec'").get()) as { value: string } | undefined;
    const cells = store.cells();
    const spec = specRow ? gridSpecSchema.safeParse(JSON.parse(specRow.value)) : undefined;
    // A seeded grid shows its first seed; a grid of targets reads its sources' embeddings from their own keys.
    const tasks = spec?.success ? gridTaskProfiles(store.tasks(), spec.data) : store.tasks();
    const tag = spec?.success ? firstSeedTag(spec.data) : '';
    const sources = spec?.success ? spec.data.sources : [...new Set(cells.map((c) => c.source).filter((s): s is string => s !== null))].sort();
    const targets = (spec?.success ? spec.data.targets : [...new Set(cells.map((c) => c.target))].sort()).filter((t) => cells.some((c) => c.target === t));
    const score = (id: string) => cells.find((c) => c.id === `${id}${tag}` && c.status === 'done')?.dev ?? null;
    const baselines = Object.fromEntries(BASELINE_KINDS.filter((k) => cells.some((c) => c.kind === k)).map((k) => [k, Object.fromEntries(targets.map((t) => [t, score(`${k}/${t}`)]))]));
    const tables: GridView['tables'] = {};
    const gains: GridView['gains'] = {};
    for (const kind of TRANSFER_KINDS) {
      if (!cells.some((c) => c.kind === kind)) continue;
      const values = sources.map((s) => targets.map((t) => (s === t ? null : score(`${kind}/${s}/${t}`))));
      tables[kind] = { rows: sources, cols: targets, values };
      gains[kind] = {
        rows: sources,
        cols: targets,
        values: values.map((row, i) =>
          row.map((x, j) => {
            const pt = score(`prompt-tuning/${targets[j]}`);
            return x === null || pt === null || sources[i] === targets[j] ? null : 100 * (x - pt);
          }),
        ),
      };
    }
    const names = (spec?.success ? gridTasks(spec.data) : [...tasks.keys()].sort()).filter((t) => tasks.has(t));
    const panda = transferMetric('PANDA');
    const similarity = names.length ? { rows: names, cols: names, values: names.map((a) => names.map((b) => panda.score(tasks.get(a)!, tasks.get(b)!))) } : null;
    const metric = cells.map((c) => (c.result as { metrics?: { metric?: string } } | null)?.metrics?.metric).find((m) => m !== undefined) ?? 'accuracy';
    return { name: g.name, sources, targets, metric, baselines, tables, gains, similarity, cells: cells.map(cellSummary) };
  } finally {
    store.close();
  }
}

function cellSummary(c: CellRow): GridView['cells'][number] {
  return { id: c.id, kind: c.kind, source: c.source, target: c.target, status: c.status, dev: c.dev, test: c.test, beta: c.beta, seconds: c.seconds };
}
