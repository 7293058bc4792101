import type { LoadedSplit, MetricName, ReadOptions, SplitName, TaskType } from '../types.js';

export interface LoadContext extends ReadOptions {
  /** Root of the data directory (see `resolveDataDir`). */
  dataDir: string;
}

/** A task: its label space, metric and where its splits come from. */
export interface TaskDefinition {
  name: string;
  description: string;
  type: TaskType;
  /** Display names of the classes, in label-index order (empty for regression). */
  labels: readonly string[];
  metric: MetricName;
  /** True when the data ships with an npm dependency (works without a data directory). */
  builtin: boolean;
  splits: readonly SplitName[];
  load(split: SplitName, context: LoadContext): Promise<LoadedSplit>;
}
