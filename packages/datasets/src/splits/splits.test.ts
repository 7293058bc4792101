import { describe, expect, it } from 'vitest';
import type { Example } from '../types.js';
import { fewShot } from './fewShot.js';
import { carveSplits, randomSplit, stratifiedSplit } from './seededSplit.js';

const items = (counts: number[]): Example[] => counts.flatMap((n, label) => Array.from({ length: n }, (_, i) => ({ id: `${label}-${i}`, text: `t${label}-${i}`, label })));

describe('seeded splits', () => {
  it('holds out exactly the asked number, stratified, even when rounding does not add up', () => {
    const all = items([5, 5, 5]);
    const { rest, held } = stratifiedSplit(all, 4, 's');
    expect(held.length).toBe(4);
    expect(rest.length).toBe(11);
    expect(new Set([...rest, ...held].map((e) => e.id)).size).toBe(15);
    const perLabel = [0, 1, 2].map((l) => held.filter((e) => e.label === l).length).sort();
    expect(perLabel).toEqual([1, 1, 2]);
    expect(() => stratifiedSplit(all, 16, 's')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it('carves dev and test deterministically for a seed, disjoint, nothing lost', () => {
    const all = items([2753, 1323]);
    const a = carveSplits(all, { dev: 408, seed: 'mrpc' });
    const b = carveSplits(all, { dev: 408, seed: 'mrpc' });
    expect(a.dev.map((e) => e.id)).toEqual(b.dev.map((e) => e.id));
    expect([a.train.length, a.dev.length, a.test]).toEqual([3668, 408, undefined]);
    expect(a.dev.filter((e) => e.label === 1).length).toBe(Math.round((408 * 1323) / 4076));
    const c = carveSplits(all, { dev: 100, test: 200, seed: 'x' });
    expect(new Set([...c.train, ...c.dev, ...c.test!].map((e) => e.id)).size).toBe(all.length);
    expect(carveSplits(all, { dev: 408, seed: 'other' }).dev.map((e) => e.id)).not.toEqual(a.dev.map((e) => e.id));
    expect(randomSplit(all, 10, 'r').held.length).toBe(10);
  });
});

describe('fewShot', () => {
  const all = items([50, 30, 3]);

  it('draws k per label, records the ids and is reproducible for the seed', () => {
    const a = fewShot(all.slice(0, 80), { k: 16, seed: 13 });
    expect(a.examples.length).toBe(32);
    expect(a.manifest).toMatchObject({ seed: '13', mode: 'k-per-label', size: 16, perLabel: { '0': 16, '1': 16 } });
    expect(a.manifest.ids).toEqual(a.examples.map((e) => e.id));
    expect(fewShot(all.slice(0, 80), { k: 16, seed: 13 }).manifest.ids).toEqual(a.manifest.ids);
    expect(fewShot(all.slice(0, 80), { k: 16, seed: 42 }).manifest.ids).not.toEqual(a.manifest.ids);
    // Labels are interleaved, not in blocks.
    expect(a.examples.slice(0, 16).every((e) => e.label === 0)).toBe(false);
  });

  it('refuses a label with fewer than k examples unless told, then records the shortfall', () => {
    expect(() => fewShot(all, { k: 4, seed: 1 })).toThrow(/label 2 has only 3 examples, fewer than k = 4/);
    const r = fewShot(all, { k: 4, seed: 1, strict: false });
    expect(r.manifest.short).toEqual({ '2': 3 });
    expect(r.manifest.perLabel).toEqual({ '0': 4, '1': 4, '2': 3 });
  });

  it('draws n in total, or whole groups', () => {
    expect(fewShot(all, { n: 10, seed: 's' }).examples.length).toBe(10);
    const grouped = items([12, 12]).map((e, i) => ({ ...e, group: `q${i % 6}` }));
    const g = fewShot(grouped, { groups: 2, seed: 's' });
    const groups = new Set(g.examples.map((e) => e.group));
    expect(groups.size).toBe(2);
    expect(g.examples.length).toBe(8);
    expect(() => fewShot(all, { groups: 1, seed: 's' })).toThrow(/has no group/);
  });
});
