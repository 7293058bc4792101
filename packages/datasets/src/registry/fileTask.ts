import { extname } from 'node:path';
import { PandaError } from '@panda/core';
import { readDelimitedFile, type ColumnMapping } from '../adapters/delimitedFile.js';
import type { SplitName } from '../types.js';
import type { TaskDefinition } from './task.js';

export interface FileTaskOptions {
  name?: string;
  files: Partial<Record<SplitName, string>>;
  columns: ColumnMapping;
  /** Label values as written in the files, in class order. Required for classification. */
  labels: readonly string[];
  header?: boolean;
}

/**
 * A classification task over the user's own CSV/TSV files (delimiter from the extension:
 * .tsv/.tab → tab, otherwise comma), with a declared column mapping.
 */
export function fileTask(options: FileTaskOptions): TaskDefinition {
  if (options.labels.length < 2) {
    throw new PandaError('CONFIG_INVALID', `a classification task needs at least 2 labels, got ${options.labels.length} (${options.labels.join(', ')})`);
  }
  const splits = (Object.keys(options.files) as SplitName[]).filter((s) => options.files[s]);
  return {
    name: options.name ?? 'custom',
    description: `your files: ${splits.map((s) => `${s}=${options.files[s]}`).join(', ')}`,
    type: options.columns.textB !== undefined ? 'pair' : 'single',
    labels: options.labels,
    metric: 'accuracy',
    builtin: false,
    splits,
    async load(split, context) {
      const file = options.files[split];
      if (!file) throw new PandaError('CONFIG_INVALID', `no ${split} file was given for task '${options.name ?? 'custom'}'`);
      const ext = extname(file).toLowerCase();
      return readDelimitedFile(file, {
        ...context,
        delimiter: ext === '.tsv' || ext === '.tab' ? '\t' : ',',
        header: options.header ?? true,
        columns: options.columns,
        labels: options.labels,
      });
    },
  };
}
