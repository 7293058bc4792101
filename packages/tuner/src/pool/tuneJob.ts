import type { FileTaskOptions } from '@panda/datasets';
import type { TuneConfigInput } from '../config.js';

/** A tuning run that can cross a process boundary (plain JSON): a task by name or by files. */
export interface TuneJob {
  task: string | (FileTaskOptions & { name: string });
  config?: TuneConfigInput;
  outDir?: string;
  dataDir?: string;
  maxTestExamples?: number;
  checkpointEverySteps?: number;
}
