import { join } from 'node:path';
import { PandaError } from '@panda/core';
import { readDelimitedFile } from '../adapters/delimitedFile.js';
import { loadSpamAssassin, SPAM_ASSASSIN_PACKAGE } from '../adapters/spamAssassin.js';
import { stratifiedSplit } from '../splits/seededSplit.js';
import type { Example, SplitName } from '../types.js';
import type { TaskDefinition } from './task.js';

let spamSplits: Promise<Record<SplitName, Example[]>> | undefined;

/** The corpus has no official split: a fixed stratified one (seed 'spam'), test 1,000, dev 500. */
function spamSplit(): Promise<Record<SplitName, Example[]>> {
  spamSplits ??= loadSpamAssassin().then((all) => {
    const { rest, held: test } = stratifiedSplit(all, 1000, 'spam-test');
    const { rest: train, held: dev } = stratifiedSplit(rest, 500, 'spam-dev');
    return { train, dev, test };
  });
  return spamSplits;
}

export const spamTask: TaskDefinition = {
  name: 'spam',
  description: `SpamAssassin public corpus (spam vs ham emails, subject + body), shipped in ${SPAM_ASSASSIN_PACKAGE}; fixed seeded split 4,546 / 500 / 1,000`,
  type: 'single',
  labels: ['ham', 'spam'],
  metric: 'accuracy',
  builtin: true,
  splits: ['train', 'dev', 'test'],
  async load(split, context) {
    const examples = (await spamSplit())[split];
    return { examples: context.limit !== undefined ? examples.slice(0, context.limit) : examples, skipped: 0, source: SPAM_ASSASSIN_PACKAGE };
  },
};

export const sst2Task: TaskDefinition = {
  name: 'sst2',
  description: 'SST-2 binary sentiment (glue/SST-2: train 60,614 / dev 6,735 re-split from GLUE train; test 872 = the GLUE dev set)',
  type: 'single',
  labels: ['negative', 'positive'],
  metric: 'accuracy',
  builtin: false,
  splits: ['train', 'dev', 'test'],
  load(split, context) {
    return readDelimitedFile(join(context.dataDir, 'glue', 'SST-2', `${split}.tsv`), {
      ...context,
      delimiter: '\t',
      header: true,
      columns: { text: 'sentence', label: 'label' },
      labels: ['0', '1'],
    });
  },
};

const TASKS = new Map<string, TaskDefinition>([
  [spamTask.name, spamTask],
  [sst2Task.name, sst2Task],
]);

/** Every registered task name. */
export function taskNames(): string[] {
  return [...TASKS.keys()];
}

/** The task named `name`, or `TASK_UNKNOWN` listing the known ones. */
export function getTask(name: string): TaskDefinition {
  const task = TASKS.get(name.toLowerCase());
  if (!task) {
    throw new PandaError('TASK_UNKNOWN', `unknown task '${name}'; known tasks: ${taskNames().join(', ')} (or give your own files with --train/--dev)`, {
      details: { task: name, known: taskNames() },
    });
  }
  return task;
}

/** Adds a task (for plugins and tests); refuses to overwrite a registered name. */
export function registerTask(task: TaskDefinition): void {
  if (TASKS.has(task.name)) throw new PandaError('CONFIG_INVALID', `a task named '${task.name}' is already registered`);
  TASKS.set(task.name, task);
}
