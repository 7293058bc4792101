import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import type { ProgressEvent } from '@panda/core';
import { initBackend } from '@panda/runtime';
import { loadUseLite, type Backbone } from '@panda/backbones';
import type { Example } from '@panda/datasets';
import { tune } from './tune.js';
import { TOY_LABELS, toyReviews } from '../testing/toyReviews.js';

// After its last step a run still scores dev and test (and a linear probe first computes its
// features): `phase` events say how far each pass is, so a caller can show more than "12/12".
let backbone: Backbone;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  backbone = await loadUseLite();
});
afterAll(() => backbone.dispose());

const labels = [...TOY_LABELS];
type Phase = Extract<ProgressEvent, { type: 'phase' }>;

/** The passes of each phase: the `done` counts of each, split where a count starts over at 0. */
function passes(events: ProgressEvent[]): Array<{ phase: string; done: number[]; total: number }> {
  const out: Array<{ phase: string; done: number[]; total: number }> = [];
  for (const e of events.filter((x): x is Phase => x.type === 'phase')) {
    const last = out.at(-1);
    if (!last || last.phase !== e.phase || e.done === 0) out.push({ phase: e.phase, done: [e.done], total: e.total });
    else last.done.push(e.done);
  }
  return out;
}

describe("a run's phase events", () => {
  it('follow each dev evaluation and the test scoring, batch by batch, from 0 to the total', async () => {
    const events: ProgressEvent[] = [];
    const r = await tune({ backbone, data: { train: toyReviews(16), dev: toyReviews(10, 1), test: toyReviews(20, 2), labels }, config: { epochs: 2, batchSize: 8, promptLength: 2, evalBatchSize: 8, seed: 3 }, onProgress: (e) => void events.push(e) });
    tf.dispose(r.weights);
    expect(passes(events)).toEqual([
      { phase: 'evaluate', done: [0, 8, 10], total: 10 },
      { phase: 'evaluate', done: [0, 8, 10], total: 10 },
      { phase: 'test', done: [0, 8, 16, 20], total: 20 },
    ]);
    // Each dev pass comes after the steps of its epoch, the test pass after the last step and before 'done'.
    const kinds = events.filter((e) => e.type !== 'log').map((e) => (e.type === 'phase' ? `${e.phase}` : e.type));
    expect(kinds.join(' ').replace(/(evaluate ?)+/g, 'evaluate ').replace(/(test ?)+/g, 'test ').replace(/(step ?)+/g, 'step ').trim()).toBe('start step evaluate eval step evaluate eval test done');
  });

  it('count both towers of a pair set, and a linear probe\'s features', async () => {
    const pairs = (n: number, offset: number): Example[] => toyReviews(n, offset).map((e, i) => ({ ...e, id: `pair:${i + offset}`, textB: toyReviews(1, i + offset + 3)[0]!.text }));
    const events: ProgressEvent[] = [];
    const r = await tune({ backbone, data: { train: pairs(8, 0), dev: pairs(6, 1), labels }, config: { method: 'linear-probe', pairEncoding: 'two-tower', epochs: 1, batchSize: 8, evalBatchSize: 8, seed: 4 }, onProgress: (e) => void events.push(e) });
    tf.dispose(r.weights);
    const p = passes(events);
    expect(p[0]).toEqual({ phase: 'features', done: [0, 8, 16], total: 16 }); // train: 8 pairs, two towers
    expect(p[1]).toEqual({ phase: 'features', done: [0, 6, 12], total: 12 }); // dev
    expect(p.slice(2).map((x) => x.phase)).not.toContain('evaluate'); // cached features: the dev score needs no pass
  });
});
