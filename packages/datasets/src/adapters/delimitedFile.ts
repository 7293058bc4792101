import { Readable, pipeline } from 'node:stream';
import { parse } from 'csv-parse';
import { PandaError } from '@panda/core';
import type { Example, LoadedSplit, ReadOptions, UnlabelledExample, UnlabelledSplit } from '../types.js';
import { readLines, type TextEncodingName } from './lines.js';
import { RowIssues, rowError, type RowIssueOptions } from './rowIssues.js';

export { assertReadable } from './lines.js';

/** How columns of a delimited file map to an example. Columns are header names or 0-based indexes. */
export interface ColumnMapping {
  text: string | number;
  textB?: string | number;
  label: string | number;
}

/** How a CSV/TSV file is laid out. */
export interface DelimitedLayout {
  delimiter: ',' | '\t';
  /** Whether the first row names the columns (default true). */
  header?: boolean;
  /** Treat quote characters as plain text (GLUE TSVs are not quoted). Default: true for TSV. */
  unquoted?: boolean;
  /** Default `utf-8` (checked strictly). */
  encoding?: TextEncodingName;
  /** Decompress while streaming (default: the name ends in `.gz`). */
  gzip?: boolean;
}

/** Options of `readDelimitedFile`: the layout, the column mapping, the label space and the bad-row policy. */
export interface DelimitedFileOptions extends ReadOptions, DelimitedLayout, Pick<RowIssueOptions, 'knownBadRows'> {
  columns: ColumnMapping;
  /** Label strings in class order; a value outside it is a bad row. Omit for regression. */
  labels?: readonly string[];
  /** Written in ids instead of the file path (`<idBase>:<line>`), e.g. the path relative to the data directory. */
  idBase?: string;
}

/** One parsed row with the physical line it ends on (the header row included when there is one). */
export interface DelimitedRow {
  line: number;
  row: string[];
}

/**
 * Streams the rows of a CSV/TSV file. Unquoted files (TSV by default) are split line by line;
 * quoted CSV goes through csv-parse, so quoted fields may hold delimiters, doubled quotes and
 * newlines. A line that is not valid in the declared encoding is a bad row (`issues.bad`), so it
 * fails with file and line or is skipped and counted.
 */
export async function* readDelimitedRows(file: string, layout: DelimitedLayout, issues: RowIssues): AsyncGenerator<DelimitedRow> {
  const lineOptions = { encoding: layout.encoding ?? 'utf-8', ...(layout.gzip !== undefined ? { gzip: layout.gzip } : {}) } as const;
  if (layout.unquoted ?? layout.delimiter === '\t') {
    for await (const item of readLines(file, lineOptions)) {
      if (item.error) {
        issues.bad(item.line, item.error);
        continue;
      }
      yield { line: item.line, row: item.text.split(layout.delimiter) };
    }
    return;
  }
  // Quoted CSV: feed whole lines to csv-parse (keeping empty ones so its line count matches the
  // file's), remember lines that failed to decode, and reject the records that contain them.
  const badLines = new Map<number, string>();
  async function* text(): AsyncGenerator<string> {
    for await (const item of readLines(file, { ...lineOptions, keepEmpty: true })) {
      if (item.error) badLines.set(item.line, item.error);
      yield `${item.text}\n`;
    }
  }
  const parser = parse({ delimiter: layout.delimiter, relax_column_count: true, skip_empty_lines: true, info: true });
  pipeline(Readable.from(text()), parser, () => {});
  let previousEnd = 0;
  try {
    for await (const record of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const end = record.info.lines;
      const bad = [...badLines].find(([line]) => line > previousEnd && line <= end);
      for (const [line] of badLines) if (line <= end) badLines.delete(line);
      previousEnd = end;
      if (bad) {
        issues.bad(bad[0], bad[1]);
        continue;
      }
      yield { line: end, row: record.record };
    }
  } catch (err) {
    if (err instanceof PandaError) throw err;
    const line = (err as { lines?: number }).lines ?? previousEnd + 1;
    throw rowError(file, line, `malformed CSV: ${(err as Error).message}`);
  }
}

/**
 * Streams a CSV or TSV file into examples, one pass, never holding the raw file in memory.
 * A malformed row (too few columns, an empty text, an unknown label, a non-numeric regression
 * target, bytes that are not valid UTF-8) fails with `DATA_ROW_INVALID` naming file and line
 * (`<file>:<line>: <reason>`), or is skipped and counted when `skipBadRows` is set.
 */
export async function readDelimitedFile(file: string, options: DelimitedFileOptions): Promise<LoadedSplit> {
  const header = options.header ?? true;
  const issues = new RowIssues(file, options);
  const examples: Example[] = [];
  const idBase = options.idBase ?? file;
  let index: { text: number; textB?: number; label: number } | undefined;
  const labelIndex = options.labels ? new Map(options.labels.map((l, i) => [l, i])) : undefined;

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

  for await (const { row, line } of readDelimitedRows(file, options, issues)) {
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
      issues.bad(line, `expected at least ${need} columns, found ${row.length}`);
      continue;
    }
    const text = row[index.text]!;
    const rawLabel = row[index.label]!.trim();
    if (text.trim() === '') {
      issues.bad(line, 'empty text');
      continue;
    }
    if (index.textB !== undefined && row[index.textB]!.trim() === '') {
      issues.bad(line, 'empty second text');
      continue;
    }
    let label: number;
    if (labelIndex) {
      const l = labelIndex.get(rawLabel);
      if (l === undefined) {
        issues.bad(line, `unknown label '${rawLabel}' (expected one of ${[...labelIndex.keys()].join(', ')})`);
        continue;
      }
      label = l;
    } else {
      label = Number(rawLabel);
      if (rawLabel === '' || !Number.isFinite(label)) {
        issues.bad(line, `label '${rawLabel}' is not a number`);
        continue;
      }
    }
    const example: Example = { id: `${idBase}:${line}`, text, label };
    if (index.textB !== undefined) example.textB = row[index.textB]!;
    examples.push(example);
    if (options.limit !== undefined && examples.length >= options.limit) break;
  }
  if (!index) throw new PandaError('DATA_ROW_INVALID', `${file}: the file is empty`, { details: { file, line: 0 } });
  return { examples, skipped: issues.skipped, source: file };
}

/** Options of `readDelimitedTexts`. */
export interface DelimitedTextsOptions extends ReadOptions, DelimitedLayout {
  columns: Omit<ColumnMapping, 'label'>;
  idBase?: string;
}

/**
 * Reads the texts of an unlabelled CSV/TSV file (GLUE test sets) with the same checks as
 * `readDelimitedFile`, minus the label.
 */
export async function readDelimitedTexts(file: string, options: DelimitedTextsOptions): Promise<UnlabelledSplit> {
  const header = options.header ?? true;
  const issues = new RowIssues(file, options);
  const examples: UnlabelledExample[] = [];
  const idBase = options.idBase ?? file;
  let index: { text: number; textB?: number } | undefined;
  for await (const { row, line } of readDelimitedRows(file, options, issues)) {
    if (!index) {
      const names = header ? row.map((s) => s.trim()) : undefined;
      const at = (col: string | number): number => {
        const i = typeof col === 'number' ? col : (names?.indexOf(col) ?? -1);
        if (i < 0) throw new PandaError('DATA_ROW_INVALID', `${file}:1: no column named '${String(col)}' (columns: ${names?.join(', ') ?? 'none'})`, { details: { file, line: 1 } });
        return i;
      };
      index = { text: at(options.columns.text), ...(options.columns.textB !== undefined ? { textB: at(options.columns.textB) } : {}) };
      if (header) continue;
    }
    const need = Math.max(index.text, index.textB ?? 0) + 1;
    if (row.length < need) {
      issues.bad(line, `expected at least ${need} columns, found ${row.length}`);
      continue;
    }
    const text = row[index.text]!;
    if (text.trim() === '' || (index.textB !== undefined && row[index.textB]!.trim() === '')) {
      issues.bad(line, 'empty text');
      continue;
    }
    examples.push({ id: `${idBase}:${line}`, text, ...(index.textB !== undefined ? { textB: row[index.textB]! } : {}) });
    if (options.limit !== undefined && examples.length >= options.limit) break;
  }
  if (!index) throw new PandaError('DATA_ROW_INVALID', `${file}: the file is empty`, { details: { file, line: 0 } });
  return { examples, skipped: issues.skipped, source: file };
}
