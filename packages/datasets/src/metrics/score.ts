import { PandaError } from '@panda/core';
import type { Example, MetricName } from '../types.js';
import type { TaskDefinition } from '../registry/task.js';
import { BUILTIN_METRICS } from './builtinMetrics.js';
import { metricByName, type MetricContext } from './metricRegistry.js';

export type { MetricContext } from './metricRegistry.js';

/** The built-in metric names, in a stable order (every registered name: `listMetrics()`). */
export const METRIC_NAMES: readonly MetricName[] = BUILTIN_METRICS.map((m) => m.name);

/**
 * Computes one registered metric by name (see `registerMetric`).
 * @throws PandaError `CONFIG_INVALID` for an unregistered name (listing the registered ones) or
 * for a metric that needs groups when `context.groups` is missing.
 */
export function computeMetric(name: string, predictions: ArrayLike<number>, gold: ArrayLike<number>, context: MetricContext = {}): number {
  const metric = metricByName(name);
  if (metric.needsGroups && !context.groups) throw new PandaError('CONFIG_INVALID', `metric '${name}' needs a group key per item (the MultiRC question)`);
  return metric.compute(predictions, gold, context);
}

/** The metrics a task reports: `task.metrics` when set, else its one `metric`. Primary first. */
export function taskMetrics(task: Pick<TaskDefinition, 'metric' | 'metrics'>): readonly string[] {
  return task.metrics && task.metrics.length > 0 ? task.metrics : [task.metric];
}

/**
 * Scores predictions (class indexes, or values for regression) against a split's examples with
 * every metric the task reports. F1 averages use the task's full label set; metrics that need
 * groups (MultiRC's) use each example's `group` (its id when it has none).
 * @throws PandaError `CONFIG_INVALID` when the task names an unregistered metric (before scoring any).
 */
export function scoreTask(task: Pick<TaskDefinition, 'metric' | 'metrics' | 'labels'>, predictions: ArrayLike<number>, examples: readonly Example[]): Record<string, number> {
  const gold = examples.map((e) => e.label);
  const metrics = taskMetrics(task).map(metricByName);
  const context: MetricContext = {
    ...(task.labels.length > 0 ? { labels: task.labels.map((_, i) => i) } : {}),
    ...(metrics.some((m) => m.needsGroups) ? { groups: examples.map((e) => e.group ?? e.id) } : {}),
  };
  const out: Record<string, number> = {};
  for (const m of metrics) out[m.name] = computeMetric(m.name, predictions, gold, context);
  return out;
}
