import { z } from 'zod';
import { entryNameSchema, functionSchema, NamedRegistry } from '../registry/namedRegistry.js';
import { BUILTIN_METRICS } from './builtinMetrics.js';

/** What some metrics need besides predictions and gold. */
export interface MetricContext {
  /** Group key per item (MultiRC question), required by metrics with `needsGroups` (`exact_match`, `f1a_and_em`). */
  groups?: ArrayLike<string>;
  /** Label set for the F1 averages (default: labels that occur). */
  labels?: readonly number[];
}

/**
 * A task metric: a score of predictions (class indexes, or values for regression) against gold
 * labels. Register your own with {@link registerMetric}; a task names it in `metric`/`metrics`.
 */
export interface TaskMetric {
  /** The name tasks use (`accuracy`, `f1_macro`, ...). */
  name: string;
  description: string;
  /** True when a larger value is a better model (true of every built-in). */
  higherIsBetter: boolean;
  /** True when the metric reads `context.groups` (scoring passes each example's `group`, else its id). */
  needsGroups?: boolean;
  /** The score; NaN where it is undefined. Throw `SHAPE_MISMATCH` for inputs of different lengths. */
  compute(predictions: ArrayLike<number>, labels: ArrayLike<number>, context: MetricContext): number;
}

/** Validates a {@link TaskMetric} registration. */
export const taskMetricSchema = z
  .object({
    name: entryNameSchema,
    description: z.string().min(1),
    higherIsBetter: z.boolean(),
    needsGroups: z.boolean().optional(),
    compute: functionSchema('compute'),
  })
  .strict();

const METRICS = new NamedRegistry<TaskMetric>('task metric', { schema: taskMetricSchema, builtins: BUILTIN_METRICS });

/**
 * Adds a task metric; tasks can then name it.
 * @throws PandaError `CONFIG_INVALID` for an invalid definition or a name already registered.
 * @example registerMetric({ name: 'error_rate', description: '1 − accuracy', higherIsBetter: false, compute: (p, g) => 1 - accuracy(p, g) })
 */
export function registerMetric(metric: TaskMetric): Readonly<TaskMetric> {
  return METRICS.register(metric);
}

/**
 * The registered metric named `name`.
 * @throws PandaError `CONFIG_INVALID` listing the registered names.
 */
export function metricByName(name: string): Readonly<TaskMetric> {
  return METRICS.get(name);
}

/** Every registered metric: the built-ins first, then registrations in order. */
export function listMetrics(): Array<Readonly<TaskMetric>> {
  return METRICS.list();
}
