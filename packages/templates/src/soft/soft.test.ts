import { describe, expect, it } from 'vitest';
import { Template } from '../syntax/template.js';
import { softLayout } from './softLayout.js';
import { initialSoftRows } from './initRows.js';
import type { Backbone } from '@panda/backbones';

const tokenizer = { encode: (t: string): number[] => t.split(/\s+/).filter(Boolean).map((w) => w.length + 10) };

/** A backbone double whose input table row i is [i, i + 0.5]; records disposal. */
function fakeBackbone(): Pick<Backbone, 'tokenInputTable' | 'sampleIds'> & { disposed: number } {
  const self = {
    disposed: 0,
    sampleIds: [40, 41, 42],
    tokenInputTable: () =>
      ({
        shape: [50, 2],
        data: async () => Float32Array.from({ length: 100 }, (_, k) => Math.floor(k / 2) + (k % 2) * 0.5),
        dispose: () => void self.disposed++,
      }) as unknown as ReturnType<Backbone['tokenInputTable']>,
  };
  return self;
}

describe('softLayout', () => {
  it('gives groups contiguous rows in first-use order; shared ids share rows', () => {
    const layout = softLayout(Template.parse('{soft#a} {soft:2} {text} {soft#b:"It was"} {soft#a:3} {soft}'), tokenizer);
    expect(layout.groups.map((g) => [g.key, g.count, g.offset])).toEqual([
      ['#a', 3, 0], // sized on a later node
      ['@0', 2, 3],
      ['#b', 2, 5],
      ['@1', 1, 7],
    ]);
    expect(layout.rows).toBe(8);
    expect(layout.nodeGroups).toEqual(['#a', '@0', '#b', '#a', '@1']);
    expect(layout.groups[2]!.initIds).toEqual([12, 13]);
  });
});

describe('initialSoftRows', () => {
  it('takes init-word rows from the input table, vocabulary rows otherwise, and disposes the table', async () => {
    const bb = fakeBackbone();
    const layout = softLayout(Template.parse('{soft:"It was"}{soft:2}'), tokenizer);
    const rows = await initialSoftRows(layout, bb, { seed: 3 });
    expect(rows).toHaveLength(4);
    expect([...rows[0]!]).toEqual([12, 12.5]);
    expect([...rows[1]!]).toEqual([13, 13.5]);
    for (const r of rows.slice(2)) expect([40, 41, 42]).toContain(r[0]);
    expect(bb.disposed).toBe(1);
    // Same seed, same rows.
    expect((await initialSoftRows(layout, fakeBackbone(), { seed: 3 })).map((r) => [...r])).toEqual(rows.map((r) => [...r]));
  });
});
