import { describe, expect, it } from 'vitest';
import { accuracy } from './accuracy.js';
import { accuracyAndF1, pearsonAndSpearman } from './combined.js';
import { averageRanks, pearson, spearman } from './correlation.js';
import { f1Binary, f1Macro, f1Micro } from './f1.js';
import { matthewsCorrelation } from './mcc.js';
import { exactMatch, f1a } from './multirc.js';
import { computeMetric, scoreTask, taskMetrics } from './score.js';

describe('metrics: documented degenerate results', () => {
  it('MCC is 0 for a constant prediction or constant gold, ±1 at the extremes', () => {
    expect(matthewsCorrelation([1, 1, 1, 1], [0, 1, 0, 1])).toBe(0);
    expect(matthewsCorrelation([0, 1, 0, 1], [1, 1, 1, 1])).toBe(0);
    expect(matthewsCorrelation([0, 1, 0, 1], [0, 1, 0, 1])).toBe(1);
    expect(matthewsCorrelation([1, 0, 1, 0], [0, 1, 0, 1])).toBe(-1);
  });

  it('Pearson and Spearman are NaN with zero variance or fewer than 2 points', () => {
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNaN();
    expect(pearson([1, 2, 3], [5, 5, 5])).toBeNaN();
    expect(pearson([1], [2])).toBeNaN();
    expect(spearman([2, 2], [1, 3])).toBeNaN();
    expect(pearson([1, 2, Number.NaN], [1, 2, 3])).toBeNaN();
    expect(pearsonAndSpearman([1, 1, 1], [1, 2, 3])).toBeNaN();
    expect(pearson([1, 2], [4, 3])).toBe(-1);
  });

  it('ranks ties by their average rank, as scipy.stats.rankdata', () => {
    expect(averageRanks([10, 20, 10, 30, 20, 20])).toEqual([1.5, 4, 1.5, 6, 4, 4]);
    expect(spearman([1, 2, 3, 4], [1, 4, 9, 16])).toBeCloseTo(1, 15);
  });

  it('F1 is 0 without true positives; micro-F1 equals accuracy for single-label predictions', () => {
    expect(f1Binary([0, 0, 0], [0, 0, 0])).toBe(0);
    expect(f1Binary([0, 0], [1, 1])).toBe(0);
    expect(f1Macro([0, 0, 1], [0, 1, 1], { labels: [0, 1, 2] })).toBeCloseTo((2 / 3 + 2 / 3 + 0) / 3, 15);
    expect(f1Micro([0, 2, 1, 1], [0, 1, 1, 2])).toBe(accuracy([0, 2, 1, 1], [0, 1, 1, 2]));
    expect(accuracyAndF1([1, 0, 1, 1], [1, 0, 0, 1])).toBeCloseTo((0.75 + 0.8) / 2, 15);
  });

  it('empty input gives NaN; different lengths throw SHAPE_MISMATCH', () => {
    for (const f of [accuracy, f1Binary, f1Macro, f1Micro, matthewsCorrelation, pearson, spearman, f1a]) expect(f([], [])).toBeNaN();
    expect(exactMatch([], [], [])).toBeNaN();
    expect(() => accuracy([1], [1, 0])).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
    expect(() => exactMatch([1, 0], [1, 0], ['a'])).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
  });

  it('MultiRC exact match needs every answer of a question right; groups need not be adjacent', () => {
    expect(exactMatch([1, 0, 1, 1], [1, 0, 1, 0], ['q1', 'q2', 'q1', 'q2'])).toBe(0.5);
    expect(() => computeMetric('exact_match', [1], [1])).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it('scores a task with all its metrics, using groups and the full label set', () => {
    const task = { metric: 'f1a_and_em' as const, metrics: ['f1a_and_em', 'f1a', 'exact_match'] as const, labels: ['false', 'true'] };
    const examples = [
      { id: 'a', text: 'p', label: 1, group: 'q1' },
      { id: 'b', text: 'p', label: 0, group: 'q1' },
      { id: 'c', text: 'p', label: 1, group: 'q2' },
    ];
    const s = scoreTask(task, [1, 0, 0], examples);
    expect(s.exact_match).toBe(0.5);
    expect(s.f1a).toBeCloseTo(2 / 3, 15);
    expect(s.f1a_and_em).toBeCloseTo((2 / 3 + 0.5) / 2, 15);
    expect(taskMetrics({ metric: 'accuracy' })).toEqual(['accuracy']);
  });
});
