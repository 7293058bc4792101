import { PandaError } from '@panda/core';
import type { Example, MetricName } from '../types.js';
import type { TaskDefinition } from '../registry/task.js';
import { accuracy } from './accuracy.js';
import { accuracyAndF1, accuracyAndF1Macro, pearsonAndSpearman } from './combined.js';
import { pearson, spearman } from './correlation.js';
import { f1Binary, f1Macro, f1Micro } from './f1.js';
import { matthewsCorrelation } from './mcc.js';
import { exactMatch, f1a, f1aAndExactMatch } from './multirc.js';

/** What some metrics need besides predictions and gold. */
export interface MetricContext {
  /** Group key per item (MultiRC question), required by `exact_match` and `f1a_and_em`. */
  groups?: ArrayLike<string>;
  /** Label set for the F1 averages (default: labels that occur). */
  labels?: readonly number[];
}

/** Every metric name, in a stable order. */
export const METRIC_NAMES: readonly MetricName[] = [
  'accuracy',
  'f1',
  'f1_macro',
  'f1_micro',
  'mcc',
  'pearson',
  'spearman',
  'acc_and_f1',
  'pearson_and_spearman',
  'acc_and_f1_macro',
  'f1a',
  'exact_match',
  'f1a_and_em',
];

/** Computes one metric by name. Throws `CONFIG_INVALID` for an unknown name or missing groups. */
export function computeMetric(name: MetricName, predictions: ArrayLike<number>, gold: ArrayLike<number>, context: MetricContext = {}): number {
  const f1Options = context.labels ? { labels: context.labels } : {};
  const needGroups = (): ArrayLike<string> => {
    if (!context.groups) throw new PandaError('CONFIG_INVALID', `metric '${name}' needs a group key per item (the MultiRC question)`);
    return context.groups;
  };
  switch (name) {
    case 'accuracy':
      return accuracy(predictions, gold);
    case 'f1':
      return f1Binary(predictions, gold);
    case 'f1_macro':
      return f1Macro(predictions, gold, f1Options);
    case 'f1_micro':
      return f1Micro(predictions, gold, f1Options);
    case 'mcc':
      return matthewsCorrelation(predictions, gold);
    case 'pearson':
      return pearson(predictions, gold);
    case 'spearman':
      return spearman(predictions, gold);
    case 'acc_and_f1':
      return accuracyAndF1(predictions, gold);
    case 'pearson_and_spearman':
      return pearsonAndSpearman(predictions, gold);
    case 'acc_and_f1_macro':
      return accuracyAndF1Macro(predictions, gold, f1Options);
    case 'f1a':
      return f1a(predictions, gold);
    case 'exact_match':
      return exactMatch(predictions, gold, needGroups());
    case 'f1a_and_em':
      return f1aAndExactMatch(predictions, gold, needGroups());
    default:
      throw new PandaError('CONFIG_INVALID', `unknown metric '${String(name)}' (known: ${METRIC_NAMES.join(', ')})`);
  }
}

/** The metrics a task reports: `task.metrics` when set, else its one `metric`. Primary first. */
export function taskMetrics(task: Pick<TaskDefinition, 'metric' | 'metrics'>): readonly MetricName[] {
  return task.metrics && task.metrics.length > 0 ? task.metrics : [task.metric];
}

/**
 * Scores predictions (class indexes, or values for regression) against a split's examples with
 * every metric the task reports. F1 averages use the task's full label set; MultiRC metrics use
 * each example's `group`.
 */
export function scoreTask(task: Pick<TaskDefinition, 'metric' | 'metrics' | 'labels'>, predictions: ArrayLike<number>, examples: readonly Example[]): Partial<Record<MetricName, number>> {
  const gold = examples.map((e) => e.label);
  const metrics = taskMetrics(task);
  const needsGroups = metrics.some((m) => m === 'exact_match' || m === 'f1a_and_em');
  const context: MetricContext = {
    ...(task.labels.length > 0 ? { labels: task.labels.map((_, i) => i) } : {}),
    ...(needsGroups ? { groups: examples.map((e) => e.group ?? e.id) } : {}),
  };
  const out: Partial<Record<MetricName, number>> = {};
  for (const m of metrics) out[m] = computeMetric(m, predictions, gold, context);
  return out;
}
