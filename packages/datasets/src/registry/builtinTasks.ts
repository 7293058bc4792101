import { PandaError } from '@panda/core';
import { colaTask, mrpcTask, qnliTask, qqpTask, rteTask, sst2Task, stsbTask } from './glueTasks.js';
import { afinnTask, spamTask } from './packagedTasks.js';
import { boolqTask, cbTask, copaTask, multircTask, superGlueRteTask, wicTask, wscTask } from './superGlueTasks.js';
import { agNewsTask, imdbTask, mrTask, sst5Task } from './textTasks.js';
import type { TaskDefinition } from './task.js';

export { spamTask, afinnTask } from './packagedTasks.js';
export { sst2Task } from './glueTasks.js';

/** Tasks known by name: the npm-packaged ones first, then GLUE, SuperGLUE/FewGLUE, sentiment and topic. */
const TASKS = new Map<string, TaskDefinition>(
  [
    spamTask,
    sst2Task,
    afinnTask,
    colaTask,
    mrpcTask,
    stsbTask,
    rteTask,
    qnliTask,
    qqpTask,
    cbTask,
    copaTask,
    superGlueRteTask,
    wicTask,
    wscTask,
    boolqTask,
    multircTask,
    imdbTask,
    sst5Task,
    mrTask,
    agNewsTask,
  ].map((t) => [t.name, t]),
);

/** Every registered task name. */
export function taskNames(): string[] {
  return [...TASKS.keys()];
}

/** Every registered task. */
export function allTasks(): TaskDefinition[] {
  return [...TASKS.values()];
}

/**
 * The task named `name` (case-insensitive), or `TASK_UNKNOWN` listing the known ones.
 * @param options.ownFiles how the caller takes the user's own files instead, for the message
 *   (default: tune's `give your own files with --train/--dev`)
 */
export function getTask(name: string, options: { ownFiles?: string } = {}): TaskDefinition {
  const task = TASKS.get(name.toLowerCase());
  if (!task) {
    throw new PandaError('TASK_UNKNOWN', `unknown task '${name}'; known tasks: ${taskNames().join(', ')} (or ${options.ownFiles ?? 'give your own files with --train/--dev'})`, {
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
