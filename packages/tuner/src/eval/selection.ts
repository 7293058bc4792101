import { PandaError } from '@panda/core';
import { metricByName } from '@panda/datasets';
import type { Objective } from './evaluate.js';

/**
 * The dev score a run selects its best weights by (and stops early on): a registered task metric
 * (`@panda/datasets`' `registerMetric`), bound to the run's classes and the dev set's groups.
 */
export interface SelectionMetric {
  readonly name: string;
  readonly higherIsBetter: boolean;
  /** The score of predictions (class indexes, or values) against gold; NaN where undefined. */
  score(predictions: readonly number[], labels: readonly number[], groups?: readonly string[]): number;
}

/** The metric a run selects by when none is given: accuracy, or mean(Pearson, Spearman) for regression. */
export function defaultSelectionMetric(objective: Objective): string {
  return objective === 'regression' ? 'pearson_and_spearman' : 'accuracy';
}

/**
 * Binds a registered metric for model selection.
 * @param classes the run's class count (F1 averages run over all of them, not only those predicted)
 * @throws `CONFIG_INVALID` for a name no metric is registered under (listing the registered ones)
 */
export function selectionMetric(name: string | undefined, objective: Objective, classes: number): SelectionMetric {
  const metric = metricByName(name ?? defaultSelectionMetric(objective));
  const labels = objective === 'classification' ? Array.from({ length: classes }, (_, i) => i) : undefined;
  return {
    name: metric.name,
    higherIsBetter: metric.higherIsBetter,
    score(predictions, gold, groups) {
      if (metric.needsGroups && !groups) throw new PandaError('CONFIG_INVALID', `metric ${metric.name} scores groups of examples; the set has none`);
      return metric.compute(predictions, gold, { ...(labels ? { labels } : {}), ...(groups ? { groups } : {}) });
    },
  };
}

/** True when score `a` is better than `b` under `metric` (an undefined `b` is beaten by any defined `a`). */
export function isBetter(a: number, b: number, metric: Pick<SelectionMetric, 'higherIsBetter'>): boolean {
  if (Number.isNaN(a)) return false;
  if (Number.isNaN(b)) return true;
  return metric.higherIsBetter ? a > b : a < b;
}
