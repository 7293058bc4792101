import type { FileTaskOptions } from '@panda/datasets';
import type { TuneConfigInput } from '../config.js';
import type { DistillConfigInput } from '../distill/config.js';

/** A tuning run that can cross a process boundary (plain JSON): a task by name or by files. */
export interface TuneJob {
  /** What the caller calls this job (a grid cell id); logs and queue jobs show it. */
  label?: string;
  task: string | (FileTaskOptions & { name: string });
  config?: TuneConfigInput;
  outDir?: string;
  dataDir?: string;
  maxTestExamples?: number;
  /** Skip malformed rows instead of failing (see TuneTaskOptions.skipBadRows). */
  skipBadRows?: boolean;
  checkpointEverySteps?: number;
  /** Replace a finished run in outDir (see TuneTaskOptions.overwrite). */
  overwrite?: boolean;
  /** Prompt transfer / early fusion from saved runs (see TuneTaskOptions.initFrom). */
  initFrom?: Array<{ dir: string; weight?: number }>;
  /** Distillation teachers (saved runs) and knobs (see TuneTaskOptions.teachers). */
  teachers?: Array<{ dir: string; beta: number; name?: string }>;
  distill?: DistillConfigInput;
  manifest?: Record<string, unknown>;
  /** Evaluate on the test split when the task has one (default true). */
  evaluateTest?: boolean;
  /** Backbone spec (`loadBackbone`): `use-lite` (default) or a Hugging Face folder. */
  model?: string;
  /**
   * Plugin module URLs the worker loads before the job (`loadedPlugins()` of the parent: its
   * registered backbones, tasks, metrics and methods then exist in the worker too).
   */
  plugins?: string[];
}
