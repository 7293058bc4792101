import type { Example, LoadedSplit, ReadOptions } from '../types.js';
import { readLines, type TextEncodingName } from './lines.js';
import { RowIssues } from './rowIssues.js';

/**
 * Turns one parsed JSON line into examples (usually one; MultiRC gives one per answer), or
 * returns a string saying why the record is malformed. `id` is `<idBase>:<line>`.
 */
export type JsonRecordMapper<T = Example> = (record: unknown, id: string) => T[] | string;

/** Options of `readJsonLines`: the record mapper, compression, encoding, ids and the bad-row policy. */
export interface JsonLinesOptions<T = Example> extends ReadOptions {
  map: JsonRecordMapper<T>;
  /** Decompress while streaming (default: the name ends in `.gz`). */
  gzip?: boolean;
  encoding?: TextEncodingName;
  /** Written in ids instead of the file path, e.g. the path relative to the data directory. */
  idBase?: string;
  /** Filled in when reading stops: bytes read from disk (compressed bytes for gzip). */
  stats?: { bytesRead: number };
}

/**
 * Streams a JSON Lines file (optionally gzip-compressed) into examples in one pass. A line that
 * is not valid UTF-8, is not valid JSON, or that `map` rejects fails with `DATA_ROW_INVALID`
 * naming file and line, or is skipped and counted when `skipBadRows` is set. `limit` counts
 * records (lines), not the examples a record expands to, and closes the file early.
 */
export async function readJsonLines<T = Example>(file: string, options: JsonLinesOptions<T>): Promise<{ examples: T[]; skipped: number; source: string }> {
  const issues = new RowIssues(file, options);
  const examples: T[] = [];
  const idBase = options.idBase ?? file;
  let records = 0;
  const lineOptions = {
    ...(options.gzip !== undefined ? { gzip: options.gzip } : {}),
    ...(options.encoding ? { encoding: options.encoding } : {}),
    ...(options.stats ? { stats: options.stats } : {}),
  };
  for await (const item of readLines(file, lineOptions)) {
    if (item.error) {
      issues.bad(item.line, item.error);
      continue;
    }
    if (item.text.trim() === '') {
      issues.bad(item.line, 'blank line');
      continue;
    }
    let record: unknown;
    try {
      record = JSON.parse(item.text);
    } catch (err) {
      issues.bad(item.line, `invalid JSON (${(err as Error).message})`);
      continue;
    }
    const mapped = options.map(record, `${idBase}:${item.line}`);
    if (typeof mapped === 'string') {
      issues.bad(item.line, mapped);
      continue;
    }
    examples.push(...mapped);
    records++;
    if (options.limit !== undefined && records >= options.limit) break;
  }
  return { examples, skipped: issues.skipped, source: file };
}

/** Column mapping for a generic JSONL file: property names of each record. */
export interface JsonColumnMapping {
  text: string;
  textB?: string;
  label: string;
}

/** Options of `readJsonFile`: the property mapping, the label space and the bad-row policy. */
export interface JsonFileOptions extends ReadOptions {
  columns: JsonColumnMapping;
  /**
   * Label values in class order, compared as strings (`true`, `1` and `"1"` all read as `'1'`,
   * `true`/`false` as `'true'`/`'false'`); a value outside it is a bad row. Omit for regression.
   */
  labels?: readonly string[];
  idBase?: string;
  gzip?: boolean;
}

/** Reads a JSONL file with a declared property mapping (the generic counterpart of `readDelimitedFile`). */
export async function readJsonFile(file: string, options: JsonFileOptions): Promise<LoadedSplit> {
  const labelIndex = options.labels ? new Map(options.labels.map((l, i) => [l, i])) : undefined;
  const { columns } = options;
  const map: JsonRecordMapper = (record, id) => {
    if (record === null || typeof record !== 'object' || Array.isArray(record)) return 'expected a JSON object';
    const r = record as Record<string, unknown>;
    const text = r[columns.text];
    if (typeof text !== 'string' || text.trim() === '') return `missing or empty text property '${columns.text}'`;
    const example: Example = { id, text, label: 0 };
    if (columns.textB !== undefined) {
      const textB = r[columns.textB];
      if (typeof textB !== 'string' || textB.trim() === '') return `missing or empty second-text property '${columns.textB}'`;
      example.textB = textB;
    }
    const raw = r[columns.label];
    if (raw === undefined || raw === null || typeof raw === 'object') return `missing label property '${columns.label}'`;
    if (labelIndex) {
      const l = labelIndex.get(String(raw));
      if (l === undefined) return `unknown label '${String(raw)}' (expected one of ${[...labelIndex.keys()].join(', ')})`;
      example.label = l;
    } else {
      const v = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
      if (!Number.isFinite(v)) return `label '${String(raw)}' is not a number`;
      example.label = v;
    }
    return [example];
  };
  return readJsonLines(file, { ...options, map });
}
