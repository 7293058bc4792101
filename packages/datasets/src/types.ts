/**
 * A character span inside one of an example's texts (WiC's target word, WSC's noun phrase and
 * pronoun). `start`/`end` are UTF-16 offsets into `text` or `textB` (`end` exclusive), so
 * `example[field].slice(start, end)` is the span as it appears in the sentence.
 */
export interface Span {
  /** Which text the offsets index into. */
  field: 'text' | 'textB';
  start: number;
  end: number;
  /** The span as the dataset states it (may differ in case or trailing punctuation from the slice). */
  text: string;
  /** Whitespace-token index the dataset gives (WSC), when it gives one. */
  tokenIndex?: number;
}

/** One labelled example. `textB` is the second text of a sentence-pair task. */
export interface Example {
  /**
   * Stable id: `<file>:<line>` for file data (for registered tasks the file is relative to the
   * data directory, so ids are the same on every machine; MultiRC appends `/<question>/<answer>`),
   * the corpus id for packaged data.
   */
  id: string;
  text: string;
  textB?: string;
  /** Class index into the task's label list (classification) or the target value (regression). */
  label: number;
  /** Multiple choice (COPA): the candidate answers; `label` is the index of the right one. */
  choices?: string[];
  /** Marked spans (WiC: the word in `text` and in `textB`; WSC: noun phrase then pronoun in `text`). */
  spans?: Span[];
  /**
   * Grouping key for metrics that score groups (MultiRC: one group per question; exact match needs
   * every answer of a group right).
   */
  group?: string;
  /**
   * The dataset's named fields as strings (premise, hypothesis, question, answer, word, ...), for
   * templates that need more than `text`/`textB`.
   */
  fields?: Record<string, string>;
}

/** An example of a split whose labels are not public (GLUE/SuperGLUE test sets). */
export type UnlabelledExample = Omit<Example, 'label'>;

/**
 * The task's input/output shape: one text, a text pair, a real-valued target, a choice among
 * candidates (`Example.choices`), or a decision about marked spans (`Example.spans`).
 */
export type TaskType = 'single' | 'pair' | 'regression' | 'choice' | 'span';

/**
 * Metric names. `f1` is binary F1 of class 1; `acc_and_f1`, `pearson_and_spearman` and
 * `acc_and_f1_macro` are the GLUE/SuperGLUE combined scores (plain means of the two);
 * `f1a` and `exact_match` are MultiRC's.
 */
export type MetricName =
  | 'accuracy'
  | 'f1'
  | 'f1_macro'
  | 'f1_micro'
  | 'mcc'
  | 'pearson'
  | 'spearman'
  | 'acc_and_f1'
  | 'pearson_and_spearman'
  | 'acc_and_f1_macro'
  | 'f1a'
  | 'exact_match'
  | 'f1a_and_em';

export type SplitName = 'train' | 'dev' | 'test';

/**
 * The default prompt-template family of a task: one text, a pair, a choice among candidates,
 * marked spans, or passage + question (+ answer) reading comprehension.
 */
export type TemplateFamily = 'single' | 'pair' | 'choice' | 'span' | 'qa';

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
  /** Rows skipped because `skipBadRows` was set (or because the task documents a known bad row). */
  skipped: number;
  /** Where the rows came from (file path or package name). */
  source: string;
}

/** A split without public labels, for writing benchmark submissions. */
export interface UnlabelledSplit {
  examples: UnlabelledExample[];
  skipped: number;
  source: string;
}
