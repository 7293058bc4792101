import { PandaError } from '@panda/core';
import { readDelimitedFile, type ColumnMapping } from '../adapters/delimitedFile.js';
import { readJsonFile } from '../adapters/jsonLines.js';
import type { SplitName } from '../types.js';
import type { TaskDefinition } from './task.js';

/** File formats `fileTask` reads. */
export type UserFileFormat = 'csv' | 'tsv' | 'jsonl';

/** The user's own files for `fileTask`: one file per split and how to read it. */
export interface FileTaskOptions {
  name?: string;
  files: Partial<Record<SplitName, string>>;
  /** Columns: header names or 0-based indexes (CSV/TSV), property names (JSONL). */
  columns: ColumnMapping;
  /** Label values as written in the files, in class order. Required for classification. */
  labels: readonly string[];
  header?: boolean;
  /** Default: from each file's extension (`.tsv`/`.tab` → tsv, `.jsonl`/`.ndjson` (optionally `.gz`) → jsonl, else csv). */
  format?: UserFileFormat;
}

/** The format a file name implies: `.tsv`/`.tab` → tsv, `.jsonl`/`.ndjson` (also gzip-compressed) → jsonl, otherwise csv. */
export function formatOf(file: string): UserFileFormat {
  const name = file.toLowerCase().replace(/\.gz$/, '');
  if (name.endsWith('.tsv') || name.endsWith('.tab')) return 'tsv';
  if (name.endsWith('.jsonl') || name.endsWith('.ndjson')) return 'jsonl';
  return 'csv';
}

/**
 * A classification task over the user's own CSV, TSV or JSONL files (format from the extension
 * unless given; `.gz` files are decompressed while streaming), with a declared column mapping.
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
    metrics: ['accuracy'],
    template: options.columns.textB !== undefined ? 'pair' : 'single',
    builtin: false,
    splits,
    files: Object.fromEntries(splits.map((s) => [s, [options.files[s]!]])),
    async load(split, context) {
      const file = options.files[split];
      if (!file) throw new PandaError('CONFIG_INVALID', `no ${split} file was given for task '${options.name ?? 'custom'}'`);
      const format = options.format ?? formatOf(file);
      const { dataDir: _dataDir, ...read } = context;
      if (format === 'jsonl') {
        const { text, textB, label } = options.columns;
        if (typeof text !== 'string' || typeof label !== 'string' || (textB !== undefined && typeof textB !== 'string')) {
          throw new PandaError('CONFIG_INVALID', 'JSONL columns are property names, not indexes');
        }
        return readJsonFile(file, { ...read, columns: { text, label, ...(textB !== undefined ? { textB } : {}) }, labels: options.labels });
      }
      return readDelimitedFile(file, {
        ...read,
        delimiter: format === 'tsv' ? '\t' : ',',
        header: options.header ?? true,
        columns: options.columns,
        labels: options.labels,
      });
    },
  };
}
