import { describe, expect, it } from 'vitest';
import { Rng } from '@panda/core';
import { spearman } from '@panda/datasets';
import { percentileInterval, resampleIndices } from './bootstrap.js';
import { bootstrapMeanInterval } from './bootstrapMean.js';
import { bootstrapSpearmanInterval } from './bootstrapSpearman.js';
import { pairedDifferences } from './pairedDifferences.js';
import { quantile } from './quantile.js';
import { summary } from './summary.js';

const typed = (code: string) => expect.objectContaining({ name: 'PandaError', code });

function normals(seed: number, n: number): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => rng.normal());
}

describe('summary', () => {
  it('matches known values (numpy mean, std(ddof=1))', () => {
    const s = summary([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(s.n).toBe(8);
    expect(s.mean).toBe(5);
    expect(s.std).toBeCloseTo(2.138089935299395, 14);
    expect(summary([1, 3]).std).toBeCloseTo(Math.SQRT2, 15);
  });

  it('mean NaN for n = 0, std NaN for n < 2', () => {
    expect(summary([])).toEqual({ n: 0, mean: Number.NaN, std: Number.NaN });
    expect(summary([3.5])).toEqual({ n: 1, mean: 3.5, std: Number.NaN });
  });

  it('a NaN input is a typed error naming its index', () => {
    expect(() => summary([1, Number.NaN])).toThrow(typed('CONFIG_INVALID'));
    expect(() => summary([1, Number.NaN])).toThrow(/values\[1\] is NaN/);
  });
});

describe('pairedDifferences', () => {
  it('differences, mean and sign counts (ties are exact zeros)', () => {
    const d = pairedDifferences([3, 1, 2, 5, 0.5], [1, 1, 4, 5, 0.25]);
    expect(d.differences).toEqual([2, 0, -2, 0, 0.25]);
    expect(d.mean).toBeCloseTo(0.05, 15);
    expect({ positive: d.positive, negative: d.negative, ties: d.ties }).toEqual({ positive: 2, negative: 1, ties: 2 });
  });

  it('empty samples give NaN mean and zero counts', () => {
    expect(pairedDifferences([], [])).toEqual({ differences: [], mean: Number.NaN, positive: 0, negative: 0, ties: 0 });
  });

  it('length mismatch and NaN are typed errors', () => {
    expect(() => pairedDifferences([1, 2], [1])).toThrow(typed('SHAPE_MISMATCH'));
    expect(() => pairedDifferences([1], [Number.NaN])).toThrow(typed('CONFIG_INVALID'));
  });
});

describe('quantile (numpy linear method)', () => {
  // np.quantile(a, q) from numpy 2.4.6, default method='linear'.
  const qs = [0, 0.025, 0.1, 0.25, 0.5, 0.75, 0.9, 0.975, 1];
  const cases: [number[], number[]][] = [
    [[1, 2, 3, 4], [1.0, 1.075, 1.3, 1.75, 2.5, 3.25, 3.7, 3.925, 4.0]],
    [[3.5], [3.5, 3.5, 3.5, 3.5, 3.5, 3.5, 3.5, 3.5, 3.5]],
    [[-2, 0, 1, 10, 10.5], [-2.0, -1.8, -1.2, 0.0, 1.0, 10.0, 10.3, 10.45, 10.5]],
    [[0.1, 0.2, 0.7, 0.9, 1.3, 2.0, 5.5], [0.1, 0.115, 0.16000000000000003, 0.44999999999999996, 0.9, 1.65, 3.4000000000000012, 4.974999999999999, 5.5]],
  ];
  it.each(cases)('%j', (sorted, expected) => {
    qs.forEach((q, i) => expect(quantile(sorted, q)).toBeCloseTo(expected[i]!, 14));
  });

  it('NaN for an empty sample; typed errors for q outside [0, 1] or an unsorted sample', () => {
    expect(quantile([], 0.5)).toBeNaN();
    expect(() => quantile([1, 2], 1.5)).toThrow(typed('CONFIG_INVALID'));
    expect(() => quantile([1, 2], Number.NaN)).toThrow(typed('CONFIG_INVALID'));
    expect(() => quantile([2, 1], 0.5)).toThrow(typed('CONFIG_INVALID'));
  });
});

describe('percentileInterval', () => {
  it('takes the (1 ∓ level)/2 quantiles of unsorted statistics', () => {
    const stats = new Rng(1).shuffle(Array.from({ length: 101 }, (_, i) => i));
    // (1 − 0.9)/2 is 0.04999999999999999 in floating point, hence toBeCloseTo.
    const ninety = percentileInterval(stats, 0.9);
    expect(ninety.low).toBeCloseTo(5, 12);
    expect(ninety.high).toBeCloseTo(95, 12);
    const ninetyFive = percentileInterval(stats, 0.95);
    expect(ninetyFive.low).toBeCloseTo(2.5, 12);
    expect(ninetyFive.high).toBeCloseTo(97.5, 12);
    expect(percentileInterval([], 0.95)).toEqual({ low: Number.NaN, high: Number.NaN });
  });
});

describe('bootstrapMeanInterval', () => {
  const sample = [0.3, 1.2, -0.4, 2.2, 0.9, 1.5, -1.1, 0.0, 0.7, 1.8];

  it('is deterministic for a seed and differs between seeds', () => {
    const a = bootstrapMeanInterval(sample, { resamples: 2000, seed: 7 });
    expect(Number.isFinite(a.low) && Number.isFinite(a.high) && a.low < a.mean && a.mean < a.high).toBe(true);
    expect(bootstrapMeanInterval(sample, { resamples: 2000, seed: 7 })).toEqual(a);
    const b = bootstrapMeanInterval(sample, { resamples: 2000, seed: 8 });
    expect([b.low, b.high]).not.toEqual([a.low, a.high]);
    expect(a.resamples).toBe(2000);
  });

  it('a constant sample gives a zero-width interval; n = 1 gives the value; n = 0 NaN', () => {
    const c = bootstrapMeanInterval([0.1, 0.1, 0.1, 0.1, 0.1], { resamples: 500 });
    expect(c.high - c.low).toBe(0);
    expect(c.low).toBeCloseTo(0.1, 15);
    expect(bootstrapMeanInterval([4.25], { resamples: 50 })).toMatchObject({ mean: 4.25, low: 4.25, high: 4.25 });
    const e = bootstrapMeanInterval([]);
    expect([e.mean, e.low, e.high]).toEqual([Number.NaN, Number.NaN, Number.NaN]);
  });

  it('for 400 normal(0,1) draws the 95 % interval is within ±20 % of mean ± 1.96·s/√n', () => {
    const values = normals(2024, 400);
    const { mean, std, n } = summary(values);
    const half = (1.96 * std) / Math.sqrt(n);
    const r = bootstrapMeanInterval(values, { resamples: 5000, level: 0.95, seed: 3 });
    expect(r.mean).toBe(mean);
    expect(Math.abs(r.mean - r.low - half)).toBeLessThanOrEqual(0.2 * half);
    expect(Math.abs(r.high - r.mean - half)).toBeLessThanOrEqual(0.2 * half);
  });

  it('a narrower level gives a narrower interval', () => {
    const values = normals(5, 100);
    const wide = bootstrapMeanInterval(values, { resamples: 2000, level: 0.95 });
    const narrow = bootstrapMeanInterval(values, { resamples: 2000, level: 0.5 });
    expect(narrow.high - narrow.low).toBeLessThan(0.6 * (wide.high - wide.low));
  });

  it('NaN values and invalid options are typed errors', () => {
    expect(() => bootstrapMeanInterval([1, Number.NaN])).toThrow(typed('CONFIG_INVALID'));
    expect(() => bootstrapMeanInterval([1, 2], { resamples: 0 })).toThrow(typed('CONFIG_INVALID'));
    expect(() => bootstrapMeanInterval([1, 2], { resamples: 2.5 })).toThrow(typed('CONFIG_INVALID'));
    expect(() => bootstrapMeanInterval([1, 2], { level: 1 })).toThrow(typed('CONFIG_INVALID'));
  });
});

describe('bootstrapSpearmanInterval', () => {
  function correlated(seed: number, n: number): { x: number[]; y: number[] } {
    const rng = new Rng(seed);
    const x = Array.from({ length: n }, () => rng.normal());
    return { x, y: x.map((v) => v + 0.7 * rng.normal()) };
  }

  it('the interval contains the point ρ on a correlated sample and is deterministic', () => {
    const { x, y } = correlated(11, 60);
    const r = bootstrapSpearmanInterval(x, y, { resamples: 2000, seed: 4 });
    expect(r.rho).toBe(spearman(x, y));
    expect(r.rho).toBeGreaterThan(0.5);
    expect(r.low).toBeGreaterThan(0);
    expect(r.low).toBeLessThan(r.rho);
    expect(r.high).toBeGreaterThan(r.rho);
    expect(r.high).toBeLessThanOrEqual(1);
    expect(r).toMatchObject({ resamples: 2000, undefinedResamples: 0 });
    expect(bootstrapSpearmanInterval(x, y, { resamples: 2000, seed: 4 })).toEqual(r);
    expect(bootstrapSpearmanInterval(x, y, { resamples: 2000, seed: 5 }).low).not.toBe(r.low);
  });

  it('skips and counts resamples whose ρ is undefined', () => {
    const x = [1, 1, 1, 2];
    const y = [1, 2, 3, 4];
    const r = bootstrapSpearmanInterval(x, y, { resamples: 1000, seed: 9 });
    // Replay the same draws: ρ is NaN exactly when the resample holds only indices 0..2 (x constant)
    // or only index 3 (both constant).
    const rng = new Rng(9);
    let expected = 0;
    for (let b = 0; b < 1000; b++) {
      const idx = resampleIndices(rng, 4);
      if (idx.every((i) => i < 3) || idx.every((i) => i === 3)) expected++;
    }
    expect(expected).toBeGreaterThan(0);
    expect(r.undefinedResamples).toBe(expected);
    expect(Number.isFinite(r.low) && Number.isFinite(r.high)).toBe(true);
  });

  it('NaN with fewer than 3 pairs; NaN bounds when no resample is defined', () => {
    expect(bootstrapSpearmanInterval([1, 2], [2, 1])).toEqual({ rho: Number.NaN, low: Number.NaN, high: Number.NaN, resamples: 0, undefinedResamples: 0 });
    const c = bootstrapSpearmanInterval([5, 5, 5, 5], [1, 2, 3, 4], { resamples: 100 });
    expect(c).toEqual({ rho: Number.NaN, low: Number.NaN, high: Number.NaN, resamples: 100, undefinedResamples: 100 });
  });

  it('length mismatch, NaN values and invalid options are typed errors', () => {
    expect(() => bootstrapSpearmanInterval([1, 2, 3], [1, 2])).toThrow(typed('SHAPE_MISMATCH'));
    expect(() => bootstrapSpearmanInterval([1, 2, Number.NaN], [1, 2, 3])).toThrow(typed('CONFIG_INVALID'));
    expect(() => bootstrapSpearmanInterval([1, 2, 3], [1, 2, 3], { level: 0 })).toThrow(typed('CONFIG_INVALID'));
  });
});
