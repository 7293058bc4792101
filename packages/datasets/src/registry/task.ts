import type { LoadedSplit, ReadOptions, SplitName, TaskType, UnlabelledSplit } from '../types.js';

/** What `TaskDefinition.load` needs: the data directory and the read options. */
export interface LoadContext extends ReadOptions {
  /** Root of the data directory (see `resolveDataDir`). */
  dataDir: string;
}

/** A split carved from a release that has none: which file, how many rows, which seed. */
export interface CarvedSplits {
  /** Data-directory-relative file(s) the carved splits come from. */
  from: readonly string[];
  /** Rows in the carved dev split. */
  dev: number;
  /** Rows in the carved test split (when the test split is carved too). */
  test?: number;
  /** Seed of the stratified carve. */
  seed: string;
}

/** A task: its label space, metric and where its splits come from. */
export interface TaskDefinition {
  name: string;
  description: string;
  type: TaskType;
  /** Display names of the classes, in label-index order (empty for regression). */
  labels: readonly string[];
  /**
   * The primary metric (the one model selection uses): a registered metric name (the built-ins are
   * `MetricName`; add others with `registerMetric`). Checked against the registry when the task is
   * scored.
   */
  metric: string;
  /** Every metric the benchmark reports for the task, primary first (default: `[metric]`); registered names. */
  metrics?: readonly string[];
  /**
   * Default prompt-template family: a family registered with @panda/templates (the built-ins are
   * `TemplateFamily`), checked when templates are chosen.
   */
  template?: string;
  /** Benchmark the task belongs to (`glue`, `superglue`, `fewglue`, ...). */
  benchmark?: string;
  /** True when the data ships with an npm dependency (works without a data directory). */
  builtin: boolean;
  splits: readonly SplitName[];
  /** Data-directory-relative files behind each split (carved splits list the file they are carved from). */
  files?: Partial<Record<SplitName, readonly string[]>>;
  /** Present when dev (and maybe test) are carved from a file with a seed. */
  carved?: CarvedSplits;
  load(split: SplitName, context: LoadContext): Promise<LoadedSplit>;
  /** The release's unlabelled test split (GLUE/SuperGLUE), for writing submissions. */
  loadUnlabelled?(context: LoadContext): Promise<UnlabelledSplit>;
}
