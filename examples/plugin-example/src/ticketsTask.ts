import { fileURLToPath } from 'node:url';
import { fileTask, type TaskDefinition } from '@panda/datasets';

const file = (split: string) => fileURLToPath(new URL(`../data/${split}.tsv`, import.meta.url));

/**
 * `tickets`: support messages, urgent or routine (about 30 % urgent). The rows are synthetic,
 * written for this example (see data/), and ship with the plugin, so the task needs no data
 * directory. Scored and selected by balanced accuracy first, then accuracy.
 */
export const ticketsTask: TaskDefinition = {
  ...fileTask({
    name: 'tickets',
    files: { train: file('train'), dev: file('dev'), test: file('test') },
    columns: { text: 'text', label: 'label' },
    labels: ['routine', 'urgent'],
  }),
  description: 'support messages, urgent vs routine (synthetic, ships with the example plugin)',
  metric: 'balanced_accuracy',
  metrics: ['balanced_accuracy', 'accuracy'],
  builtin: true,
};
