import { describe, expect, it } from 'vitest';
import type { Example } from '../types.js';
import { getTask, registerTask } from '../registry/builtinTasks.js';
import type { TaskDefinition } from '../registry/task.js';
import { accuracy } from './accuracy.js';
import { listMetrics, metricByName, registerMetric } from './metricRegistry.js';
import { computeMetric, METRIC_NAMES, scoreTask } from './score.js';

/** Balanced accuracy (scikit-learn's `balanced_accuracy_score`): the mean recall over the classes in gold. */
function balancedAccuracy(predictions: ArrayLike<number>, gold: ArrayLike<number>): number {
  const classes = [...new Set(Array.from(gold))];
  const recall = classes.map((c) => {
    const idx = Array.from(gold, (g, i) => (g === c ? i : -1)).filter((i) => i >= 0);
    return idx.filter((i) => predictions[i] === c).length / idx.length;
  });
  return recall.reduce((a, b) => a + b, 0) / recall.length;
}

const examples = (labels: number[], groups?: string[]): Example[] => labels.map((label, i) => ({ id: `x:${i}`, text: 't', label, ...(groups ? { group: groups[i]! } : {}) }));

describe('task-metric registry', () => {
  it('holds the built-ins under their names, in METRIC_NAMES order', () => {
    expect(listMetrics().map((m) => m.name)).toEqual([...METRIC_NAMES]);
    expect(listMetrics().every((m) => m.higherIsBetter && m.description.length > 0)).toBe(true);
    expect(listMetrics().filter((m) => m.needsGroups).map((m) => m.name)).toEqual(['exact_match', 'f1a_and_em']);
    expect(metricByName('mcc').compute([0, 1, 0, 1], [0, 1, 0, 1], {})).toBe(1);
  });

  it('refuses a duplicate name or an invalid definition with CONFIG_INVALID', () => {
    expect(() => registerMetric({ name: 'accuracy', description: 'again', higherIsBetter: true, compute: accuracy })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: "a task metric named 'accuracy' is already registered" }),
    );
    expect(() => registerMetric({ name: ' padded', description: 'x', higherIsBetter: true, compute: accuracy })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => registerMetric({ name: 'nofn', description: 'x', higherIsBetter: true } as never)).toThrow(/compute must be a function/);
    expect(() => registerMetric({ name: 'typo', description: 'x', higherIsBetter: true, higherIsBeter: true, compute: accuracy } as never)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(metricByName('accuracy').description).not.toBe('again');
  });

  it('names every registered metric when a name is unknown', () => {
    expect(() => computeMetric('acc', [1], [1])).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringMatching(/^unknown task metric 'acc'; registered: accuracy, f1, f1_macro, .*, f1a_and_em/) }));
    expect(() => scoreTask({ metric: 'accuracy', metrics: ['accuracy', 'auroc'], labels: ['a', 'b'] }, [0], examples([0]))).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', details: expect.objectContaining({ name: 'auroc' }) }));
  });

  it('scores a registered task whose metrics include third-party ones, through scoreTask', () => {
    registerMetric({ name: 'balanced_accuracy', description: 'mean recall over the gold classes', higherIsBetter: true, compute: balancedAccuracy });
    // A third-party metric that reads the groups (the fraction of groups with at least one right answer).
    registerMetric({
      name: 'any_right',
      description: 'fraction of groups with at least one right prediction',
      higherIsBetter: true,
      needsGroups: true,
      compute: (p, g, c) => {
        const right = new Map<string, boolean>();
        for (let i = 0; i < g.length; i++) right.set(c.groups![i]!, (right.get(c.groups![i]!) ?? false) || p[i] === g[i]);
        return [...right.values()].filter(Boolean).length / right.size;
      },
    });
    const task: TaskDefinition = {
      name: 'custom-metric-task',
      description: 'a task scored by third-party metrics',
      type: 'single',
      labels: ['no', 'yes'],
      metric: 'balanced_accuracy',
      metrics: ['balanced_accuracy', 'accuracy', 'any_right'],
      builtin: true,
      splits: ['dev'],
      load: () => Promise.reject(new Error('not used')),
    };
    registerTask(task);
    // gold 0,0,0,1 / predicted 0,0,1,1: recall(0) = 2/3, recall(1) = 1 → 5/6; accuracy 3/4;
    // groups q1 = {0, 1} (both right), q2 = {2, 3} (one right) → any_right 1.
    const scores = scoreTask(getTask('custom-metric-task'), [0, 0, 1, 1], examples([0, 0, 0, 1], ['q1', 'q1', 'q2', 'q2']));
    expect(Object.keys(scores)).toEqual(['balanced_accuracy', 'accuracy', 'any_right']);
    expect(scores.balanced_accuracy).toBeCloseTo(5 / 6, 15);
    expect(scores.accuracy).toBe(0.75);
    expect(scores.any_right).toBe(1);
    expect(listMetrics().map((m) => m.name).slice(-2)).toEqual(['balanced_accuracy', 'any_right']);
    expect(() => computeMetric('any_right', [1], [1])).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
