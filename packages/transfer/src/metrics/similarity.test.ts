import { describe, expect, it } from 'vitest';
import { isPandaError } from '@panda/core';
import { cosine } from '@panda/core';
import { activationOverlap, eAvg, rowMean, spotPerToken } from './similarity.js';
import { betaFrom } from '../beta/beta.js';

describe('similarity metrics (known values)', () => {
  it('cosine', () => {
    expect(cosine([1, 0], [1, 1])).toBeCloseTo(Math.SQRT1_2, 15);
    expect(cosine([1, 2, 3], [-1, -2, -3])).toBeCloseTo(-1, 15);
    expect(cosine([0, 0], [1, 1])).toBe(0);
    expect(() => cosine([1], [1, 2])).toThrow(expect.objectContaining({ code: 'DIMENSION_MISMATCH' }));
  });

  it('E_avg is the cosine of the row means', () => {
    // rows (1,0),(0,1) → mean (0.5,0.5); rows (1,0),(1,0) → (1,0): cos = 1/√2
    expect(Array.from(rowMean([1, 0, 0, 1], 2))).toEqual([0.5, 0.5]);
    expect(eAvg([1, 0, 0, 1], 2, [1, 0, 1, 0], 2)).toBeCloseTo(Math.SQRT1_2, 15);
  });

  it('SPoT per-token average cosine', () => {
    // source rows (1,0),(0,1); target row (1,1): cosines 1/√2 and 1/√2 → mean 1/√2
    expect(spotPerToken([1, 0, 0, 1], 2, [1, 1], 1)).toBeCloseTo(Math.SQRT1_2, 15);
    // source (1,0) vs target (1,0),(−1,0): (1 + −1)/2 = 0
    expect(spotPerToken([1, 0], 1, [1, 0, -1, 0], 2)).toBeCloseTo(0, 15);
    expect(() => spotPerToken([1, 0], 1, [1, 0, 0], 1)).toThrow();
  });

  it('ON: identical binary patterns give 1, disjoint ones 0', () => {
    expect(activationOverlap([1, 0, 1, 0], [1, 0, 1, 0])).toBeCloseTo(1, 15);
    expect(activationOverlap([1, 0, 1, 0], [0, 1, 0, 1])).toBe(0);
    // rates: (1, 0.5) vs (1, 0) → 1/√1.25
    expect(activationOverlap([1, 0.5], [1, 0])).toBeCloseTo(1 / Math.sqrt(1.25), 15);
  });

  it('β mappings', () => {
    expect(betaFrom(-0.2, { map: 'clip', value: 0.5 })).toBe(0);
    expect(betaFrom(0.8, { map: 'clip', value: 0.5 })).toBe(0.8);
    expect(betaFrom(0.2, { map: 'shift', value: 0.5 })).toBeCloseTo(0.6, 15);
    expect(betaFrom(0.9, { map: 'constant', value: 0.3 })).toBe(0.3);
    try {
      cosine([1], []);
    } catch (e) {
      expect(isPandaError(e, 'DIMENSION_MISMATCH')).toBe(true);
    }
  });
});
