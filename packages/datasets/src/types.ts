/** One labelled example. `textB` is the second text of a sentence-pair task. */
export interface Example {
  /** Stable id: `<file>:<line>` for file data, the corpus id for packaged data. */
  id: string;
  text: string;
  textB?: string;
  /** Class index into the task's label list (classification) or the target value (regression). */
  label: number;
}

export type TaskType = 'single' | 'pair' | 'regression';
export type MetricName = 'accuracy' | 'f1' | 'mcc' | 'pearson';
export type SplitName = 'train' | 'dev' | 'test';

/** What malformed rows do: fail on the first (default), or skip and count them. */
export interface ReadOptions {
  skipBadRows?: boolean;
  /** Called once per skipped row. */
  onSkip?: (info: { file: string; line: number; reason: string }) => void;
  /** Stop after this many examples (for quick runs). */
  limit?: number;
}

export interface LoadedSplit {
  examples: Example[];
  /** Rows skipped because `skipBadRows` was set. */
  skipped: number;
  /** Where the rows came from (file path or package name). */
  source: string;
}
