import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { parse } from 'csv-parse';
import { PandaError } from '@panda/core';
import type { Example, LoadedSplit, ReadOptions } from '../types.js';

/** How columns of a delimited file map to an example. Columns are header names or 0-based indexes. */
export interface ColumnMapping {
  text: string | number;
  textB?: string | number;
  label: string | number;
}

export interface DelimitedFileOptions extends ReadOptions {
  delimiter: ',' | '\t';
  /** Whether the first row names the columns (default true). */
  header?: boolean;
  columns: ColumnMapping;
  /** Label strings in class order; a value outside it is a bad row. Omit for regression. */
  labels?: readonly string[];
  /** Treat quote characters as plain text (GLUE TSVs are not quoted). Default: true for TSV. */
  unquoted?: boolean;
}

export async function assertReadable(file: string): Promise<void> {
  try {
    await access(file);
  } catch {
    throw new PandaError('DATA_FILE_MISSING', `data file not found: ${file}`, { details: { file } });
  }
}

/**
 * Streams a CSV or TSV file into examples, one pass, never holding the raw file in memory.
 * A malformed row (too few columns, an empty text, an unknown label, a non-numeric regression
 * target) fails with `DATA_ROW_INVALID` naming file and line, or is skipped and counted when
 * `skipBadRows` is set.
 */
export async function readDelimitedFile(file: string, options: DelimitedFileOptions): Promise<LoadedSplit> {
  await assertReadable(file);
  const header = options.header ?? true;
  const parser = createReadStream(file).pipe(
    parse({
      delimiter: options.delimiter,
      bom: true,
      relax_column_count: true,
      quote: (options.unquoted ?? options.delimiter === '\t') ? false : '"',
      skip_empty_lines: true,
      info: true,
    }),
  );
  const examples: Example[] = [];
  let skipped = 0;
  let index: { text: number; textB?: number; label: number } | undefined;
  const labelIndex = options.labels ? new Map(options.labels.map((l, i) => [l, i])) : undefined;

  const bad = (line: number, reason: string): void => {
    if (!options.skipBadRows) {
      throw new PandaError('DATA_ROW_INVALID', `${file}:${line}: ${reason}`, { details: { file, line, reason } });
    }
    skipped++;
    options.onSkip?.({ file, line, reason });
  };

  const resolve = (names: string[] | undefined, col: string | number, what: string): number => {
    if (typeof col === 'number') return col;
    const i = names?.indexOf(col) ?? -1;
    if (i < 0) {
      throw new PandaError('DATA_ROW_INVALID', `${file}:1: no column named '${col}' for the ${what} (columns: ${names?.join(', ') ?? 'none, the file has no header'})`, {
        details: { file, line: 1, column: col },
      });
    }
    return i;
  };

  for await (const record of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    const row = record.record;
    const line = record.info.lines;
    if (!index) {
      const names = header ? row.map((s) => s.trim()) : undefined;
      index = {
        text: resolve(names, options.columns.text, 'text'),
        label: resolve(names, options.columns.label, 'label'),
        ...(options.columns.textB !== undefined ? { textB: resolve(names, options.columns.textB, 'second text') } : {}),
      };
      if (header) continue;
    }
    const need = Math.max(index.text, index.label, index.textB ?? 0) + 1;
    if (row.length < need) {
      bad(line, `expected at least ${need} columns, found ${row.length}`);
      continue;
    }
    const text = row[index.text]!;
    const rawLabel = row[index.label]!.trim();
    if (text.trim() === '') {
      bad(line, 'empty text');
      continue;
    }
    let label: number;
    if (labelIndex) {
      const l = labelIndex.get(rawLabel);
      if (l === undefined) {
        bad(line, `unknown label '${rawLabel}' (expected one of ${[...labelIndex.keys()].join(', ')})`);
        continue;
      }
      label = l;
    } else {
      label = Number(rawLabel);
      if (rawLabel === '' || !Number.isFinite(label)) {
        bad(line, `label '${rawLabel}' is not a number`);
        continue;
      }
    }
    const example: Example = { id: `${file}:${line}`, text, label };
    if (index.textB !== undefined) example.textB = row[index.textB]!;
    examples.push(example);
    if (options.limit !== undefined && examples.length >= options.limit) {
      parser.destroy();
      break;
    }
  }
  if (!index) throw new PandaError('DATA_ROW_INVALID', `${file}: the file is empty`, { details: { file, line: 0 } });
  return { examples, skipped, source: file };
}
