import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runGrid } from './runGrid.js';
import { GridStore } from './store.js';
import { selectionScoreOf } from './cells.js';
import { writeGridReport } from './report.js';
import type { GridSpecInput } from './spec.js';

// Real benchmark tasks from $PANDA_DATA_DIR, tiny runs, one worker: the paper-regime grid's shape
// (sources trained once in their own grid; targets at several seeds, PoT/PANDA at every seed for the
// two top sources only, late fusion of the two best sources, selection on a validation split).
const tuning = { method: 'deep-prompt-tuning', promptLength: 2, epochs: 1, batchSize: 8, maxTrainExamples: 16, maxEvalExamples: 12, maxSeqLength: 24 };
const embedding = { samples: 8, maxSeqLength: 24 };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'panda-seeded-grid-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function cells(d: string) {
  const store = new GridStore(d);
  try {
    return { cells: store.cells(), tasks: [...store.tasks().keys()].sort() };
  } finally {
    store.close();
  }
}

describe('runGrid with seeds, top sources, late fusion and sources from another grid', () => {
  it('runs each cell once per seed, ranks sources by the validation score, and adds a seed later without rerunning anything', async () => {
    const sourceGrid = join(dir, 'sources');
    const sources = await runGrid({ dir: sourceGrid, spec: { sources: ['sst2', 'mr', 'agnews'], targets: ['sst2'], methods: ['prompt-tuning'], tuning, workers: 1 } });
    expect(sources).toMatchObject({ cells: 3, failed: 0 });

    const targetGrid = join(dir, 'cb');
    const spec: GridSpecInput = {
      sources: ['sst2', 'mr', 'agnews'],
      targets: ['cb'],
      methods: ['prompt-tuning', 'pot', 'panda', 'panda-fusion'],
      tuning: { ...tuning, validationSplit: 6 },
      seeds: [1, 2],
      topSources: 2,
      sourceGrid,
      embedding,
      workers: 1,
    };
    const r = await runGrid({ dir: targetGrid, spec });
    expect(r.failed).toBe(0);
    const { cells: rows, tasks } = cells(targetGrid);
    // The sources' prompts came from the other grid: none trained here; their embeddings are kept apart.
    expect(rows.some((c) => c.id.startsWith('prompt-tuning/sst2'))).toBe(false);
    expect(tasks).toEqual(['cb', 'source:agnews', 'source:mr', 'source:sst2']);
    const pot1 = rows.filter((c) => c.kind === 'pot' && c.id.endsWith('@s1'));
    expect(pot1).toHaveLength(3);
    // The top source: the best validation score of the first seed's PoT runs (not the dev score);
    // ties go to the source listed first.
    const order = spec.sources;
    const ranked = [...pot1].sort((a, b) => selectionScoreOf(b)! - selectionScoreOf(a)! || order.indexOf(a.source!) - order.indexOf(b.source!));
    expect(pot1.every((c) => (c.result as { metrics: { validationScore?: number } }).metrics.validationScore !== undefined)).toBe(true);
    const [top1, top2] = [ranked[0]!.source!, ranked[1]!.source!];
    const ids = rows.map((c) => c.id).sort();
    expect(ids).toEqual(
      [
        'prompt-tuning/cb@s1',
        'prompt-tuning/cb@s2',
        ...['sst2', 'mr', 'agnews'].flatMap((s) => [`pot/${s}/cb@s1`, `panda/${s}/cb@s1`]),
        ...[top1, top2].flatMap((s) => [`pot/${s}/cb@s2`, `panda/${s}/cb@s2`]),
        `panda-fusion/${top1}+${top2}/cb@s1`,
        `panda-fusion/${top1}+${top2}/cb@s2`,
      ].sort(),
    );
    // Late fusion distils from both PoT teachers of its seed, each with its own β.
    const fusion = rows.find((c) => c.id === `panda-fusion/${top1}+${top2}/cb@s2`)!;
    expect((fusion.result as { teachers: Array<{ name: string }> }).teachers.map((t) => t.name)).toEqual([`${top1}->cb`, `${top2}->cb`]);
    // Each seed is its own run: the seeds' training differs.
    const pt = (seed: number) => rows.find((c) => c.id === `prompt-tuning/cb@s${seed}`)!.result as { config: { seed: number } };
    expect([pt(1).config.seed, pt(2).config.seed]).toEqual([1, 2]);

    // The grid's own report shows the first seed, and reads the sources' embeddings from their own keys.
    await writeGridReport(targetGrid);
    const report = await readFile(join(targetGrid, 'report.md'), 'utf8');
    expect(report).toContain('seeds 1, 2 (the tables show seed 1)');
    const pt1 = rows.find((c) => c.id === 'prompt-tuning/cb@s1')!.dev!;
    expect(report).toContain(`| prompt tuning | ${(100 * pt1).toFixed(1)} |`);
    const similarity = report.slice(report.indexOf('## PANDA metric between tasks'));
    for (const s of ['sst2', 'mr', 'agnews', 'cb']) expect(similarity).toMatch(new RegExp(`\\| ${s} \\| -?\\d`));

    // Resuming runs nothing; a third seed runs only its own cells.
    expect((await runGrid({ dir: targetGrid, spec })).ran).toBe(0);
    const grown = await runGrid({ dir: targetGrid, spec: { ...spec, seeds: [1, 2, 3] } });
    expect(grown.ran).toBe(6);
    const after = cells(targetGrid).cells;
    expect(after.filter((c) => c.id.endsWith('@s3')).map((c) => c.id).sort()).toEqual(['prompt-tuning/cb@s3', ...[top1, top2].flatMap((s) => [`pot/${s}/cb@s3`, `panda/${s}/cb@s3`]), `panda-fusion/${top1}+${top2}/cb@s3`].sort());
    expect(after.every((c) => c.runs === 1)).toBe(true);
  });
});
