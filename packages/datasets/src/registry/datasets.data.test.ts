import { describe, expect, it } from 'vitest';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { imdbMapper } from '../adapters/imdb.js';
import { readJsonLines } from '../adapters/jsonLines.js';
import type { Example, SplitName } from '../types.js';
import { allTasks, getTask } from './builtinTasks.js';
import { resolveDataDir } from './dataDir.js';
import { clearLoadCache } from './loadCache.js';

// Needs ../shared/data (run with: npx vitest run -c vitest.data.config.ts packages/datasets).
// Expected figures: row counts from ../shared/data/README.md; label distributions counted
// independently from the raw files by packages/datasets/reference/dataset_counts.py (whole files;
// the splits carved by seed are checked to add up to those file totals). Where the README and the
// files disagree, the files win and docs/results/datasets.md says so (CoLA out-of-domain dev has
// 516 rows, not 515: its last line has no newline, so `wc -l` says 515).

type Dist = Record<string, number>;
interface Expect {
  rows: number;
  dist?: Dist;
}

/** task → split → rows and label distribution (label index → count). */
const EXPECTED: Record<string, Partial<Record<SplitName | 'unlabelled', Expect>>> = {
  cola: { train: { rows: 8551, dist: { 0: 2528, 1: 6023 } }, dev: { rows: 1043, dist: { 0: 324, 1: 719 } } },
  sst2: { train: { rows: 60614, dist: { 0: 26786, 1: 33828 } }, dev: { rows: 6735, dist: { 0: 2994, 1: 3741 } }, test: { rows: 872, dist: { 0: 428, 1: 444 } } },
  mrpc: { train: { rows: 3668, dist: { 0: 1191, 1: 2477 } }, dev: { rows: 408, dist: { 0: 132, 1: 276 } }, test: { rows: 1725, dist: { 0: 578, 1: 1147 } } },
  stsb: { train: { rows: 5749 }, dev: { rows: 1500 }, test: { rows: 1379 } },
  rte: { train: { rows: 2490, dist: { 0: 1249, 1: 1241 } }, dev: { rows: 277, dist: { 0: 146, 1: 131 } }, unlabelled: { rows: 3000 } },
  qnli: { train: { rows: 4463, dist: { 0: 2207, 1: 2256 } }, dev: { rows: 1000, dist: { 0: 495, 1: 505 } }, unlabelled: { rows: 5463 } },
  qqp: { train: { rows: 21496, dist: { 0: 13494, 1: 8002 } }, dev: { rows: 2000, dist: { 0: 1255, 1: 745 } } },
  cb: { train: { rows: 250, dist: { 0: 115, 1: 119, 2: 16 } }, dev: { rows: 56, dist: { 0: 23, 1: 28, 2: 5 } }, unlabelled: { rows: 250 } },
  copa: { train: { rows: 400, dist: { 0: 195, 1: 205 } }, dev: { rows: 100, dist: { 0: 55, 1: 45 } }, unlabelled: { rows: 500 } },
  'superglue-rte': { train: { rows: 2490, dist: { 0: 1249, 1: 1241 } }, dev: { rows: 277, dist: { 0: 146, 1: 131 } }, unlabelled: { rows: 3000 } },
  wic: { train: { rows: 5428, dist: { 0: 2714, 1: 2714 } }, dev: { rows: 638, dist: { 0: 319, 1: 319 } }, unlabelled: { rows: 1400 } },
  wsc: { train: { rows: 554, dist: { 0: 295, 1: 259 } }, dev: { rows: 104, dist: { 0: 66, 1: 38 } }, unlabelled: { rows: 146 } },
  boolq: { train: { rows: 32, dist: { 0: 14, 1: 18 } }, dev: { rows: 32, dist: { 0: 13, 1: 19 } }, test: { rows: 3270, dist: { 0: 1237, 1: 2033 } } },
  multirc: { train: { rows: 154, dist: { 0: 86, 1: 68 } }, dev: { rows: 167, dist: { 0: 93, 1: 74 } }, test: { rows: 4848, dist: { 0: 2773, 1: 2075 } } },
  imdb: { train: { rows: 22500, dist: { 0: 11250, 1: 11250 } }, dev: { rows: 2500, dist: { 0: 1250, 1: 1250 } }, test: { rows: 25000, dist: { 0: 12500, 1: 12500 } } },
  sst5: {
    train: { rows: 8544, dist: { 0: 1092, 1: 2218, 2: 1624, 3: 2322, 4: 1288 } },
    dev: { rows: 1101, dist: { 0: 139, 1: 289, 2: 229, 3: 279, 4: 165 } },
    test: { rows: 2210, dist: { 0: 279, 1: 633, 2: 389, 3: 510, 4: 399 } },
  },
  mr: { train: { rows: 7662, dist: { 0: 3831, 1: 3831 } }, dev: { rows: 1000, dist: { 0: 500, 1: 500 } }, test: { rows: 2000, dist: { 0: 1000, 1: 1000 } } },
  agnews: { train: { rows: 8001, dist: { 0: 2007, 1: 1966, 2: 1997, 3: 2031 } }, dev: { rows: 2000, dist: { 0: 502, 1: 492, 2: 499, 3: 507 } }, test: { rows: 7600, dist: { 0: 1900, 1: 1900, 2: 1900, 3: 1900 } } },
};

/** Skipped rows per task/split when loading without skipBadRows (the documented QQP row). */
const SKIPPED: Record<string, Partial<Record<SplitName, number>>> = { qqp: { train: 1 } };

const dist = (xs: readonly Example[]): Dist => {
  const d: Dist = {};
  for (const e of xs) d[e.label] = (d[e.label] ?? 0) + 1;
  return d;
};

const dataDir = resolveDataDir();
const loaded = new Map<string, Example[]>();
const table: string[] = [];

describe('every dataset in the data directory loads with the README row counts and label distributions', () => {
  const names = Object.keys(EXPECTED);

  it('covers every registered task that reads the data directory', () => {
    expect(allTasks().filter((t) => !t.builtin).map((t) => t.name).sort()).toEqual([...names].sort());
  });

  it.each(names)('%s', async (name) => {
    const task = getTask(name);
    const want = EXPECTED[name]!;
    for (const split of task.splits) {
      const w = want[split];
      expect(w, `${name} ${split} has no expected figures`).toBeDefined();
      const r = await task.load(split, { dataDir });
      loaded.set(`${name}/${split}`, r.examples);
      expect(r.examples.length, `${name} ${split} rows`).toBe(w!.rows);
      expect(r.skipped, `${name} ${split} skipped`).toBe(SKIPPED[name]?.[split] ?? 0);
      if (w!.dist) expect(dist(r.examples), `${name} ${split} labels`).toEqual(Object.fromEntries(Object.entries(w!.dist).map(([k, v]) => [k, v])));
      const d = dist(r.examples);
      const shown = task.type === 'regression' ? `scores ${Math.min(...r.examples.map((e) => e.label))}–${Math.max(...r.examples.map((e) => e.label))}, mean ${(r.examples.reduce((a, e) => a + e.label, 0) / r.examples.length).toFixed(6)}` : task.labels.map((l, i) => `${l} ${d[i] ?? 0}`).join(', ');
      table.push(`| ${name} | ${split} | ${r.examples.length.toLocaleString('en-US')} | ${r.skipped} | ${shown} |`);
      expect(new Set(r.examples.map((e) => e.id)).size, `${name} ${split} ids unique`).toBe(r.examples.length);
    }
    expect(Object.keys(want).filter((s) => s !== 'unlabelled').sort()).toEqual([...task.splits].sort());
    if (want.unlabelled) {
      const u = await task.loadUnlabelled!({ dataDir });
      expect(u.examples.length, `${name} unlabelled rows`).toBe(want.unlabelled.rows);
      expect(u.examples.every((e) => !('label' in e))).toBe(true);
      table.push(`| ${name} | test (unlabelled) | ${u.examples.length.toLocaleString('en-US')} | ${u.skipped} | – |`);
    }
    clearLoadCache();
  });

  it('carved splits are disjoint and add up to the source file (MRPC 4,076; QNLI 5,463; QQP 23,496 + 1 bad; IMDB 25,000; MR 10,662; AG News 10,001)', () => {
    // Whole-file label counts from reference/dataset_counts.py (label index → count).
    const sources: Record<string, [number, SplitName[], Dist]> = {
      mrpc: [4076, ['train', 'dev'], { 0: 1323, 1: 2753 }],
      qnli: [5463, ['train', 'dev'], { 0: 2702, 1: 2761 }],
      qqp: [23496, ['train', 'dev'], { 0: 14749, 1: 8747 }],
      imdb: [25000, ['train', 'dev'], { 0: 12500, 1: 12500 }],
      mr: [10662, ['train', 'dev', 'test'], { 0: 5331, 1: 5331 }],
      agnews: [10001, ['train', 'dev'], { 0: 2509, 1: 2458, 2: 2496, 3: 2538 }],
    };
    for (const [name, [total, splits, labels]] of Object.entries(sources)) {
      const examples = splits.flatMap((s) => loaded.get(`${name}/${s}`)!);
      expect(examples.length, name).toBe(total);
      expect(new Set(examples.map((e) => e.id)).size, name).toBe(total);
      expect(dist(examples), name).toEqual(labels);
    }
  });

  it('keeps the structure of the special formats', () => {
    const mrc = loaded.get('multirc/test')!;
    expect(new Set(mrc.map((e) => e.group)).size).toBe(953);
    expect(new Set(mrc.map((e) => e.id.replace(/\/\d+\/\d+$/, ''))).size).toBe(83); // passages
    expect(new Set(loaded.get('multirc/train')!.map((e) => e.group)).size).toBe(32);
    expect(loaded.get('copa/dev')!.every((e) => e.choices?.length === 2 && ['cause', 'effect'].includes(e.fields!['question']!))).toBe(true);
    for (const split of ['train', 'dev'] as const) {
      for (const e of loaded.get(`wic/${split}`)!) {
        expect(e.spans!.length).toBe(2);
        for (const s of e.spans!) expect((s.field === 'text' ? e.text : e.textB!).slice(s.start, s.end)).toBe(s.text);
      }
      for (const e of loaded.get(`wsc/${split}`)!) {
        expect(e.spans!.map((s) => s.end > s.start && s.end <= e.text.length)).toEqual([true, true]);
      }
    }
    const sts = loaded.get('stsb/test')!;
    expect(Math.min(...sts.map((e) => e.label))).toBe(0);
    expect(Math.max(...sts.map((e) => e.label))).toBe(5);
    expect(loaded.get('mr/train')!.some((e) => e.text.includes('é'))).toBe(true);
    expect(loaded.get('mr/train')!.some((e) => e.text.includes('\uFFFD'))).toBe(false);
  });

  it('streams IMDB through zlib: 100 reviews read only the first chunks of the 13 MB file', async () => {
    const file = join(dataDir, 'sentiment/imdb/train.jsonl.gz');
    const stats = { bytesRead: 0 };
    const r = await readJsonLines(file, { map: imdbMapper, limit: 100, stats });
    const size = (await stat(file)).size;
    expect(r.examples.length).toBe(100);
    expect(stats.bytesRead).toBeLessThanOrEqual(1024 * 1024);
    table.push(`\nIMDB streaming: 100 reviews read ${stats.bytesRead.toLocaleString('en-US')} of ${size.toLocaleString('en-US')} compressed bytes`);
  });

  it('prints the table for docs/results/datasets.md', () => {
    console.log(['| task | split | rows | skipped | labels (as loaded) |', '|---|---|---|---|---|', ...table].join('\n'));
  });
});
