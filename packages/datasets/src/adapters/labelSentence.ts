import type { Example, LoadedSplit, ReadOptions } from '../types.js';
import { readLines, type TextEncodingName } from './lines.js';
import { RowIssues } from './rowIssues.js';

/** Options of `readLabelSentenceFile`. */
export interface LabelSentenceOptions extends ReadOptions {
  /** Label tokens as written at the start of each line, in class order (e.g. `['0','1','2','3','4']`). */
  labels: readonly string[];
  /** Default `utf-8`; MR's rt-polarity file is `windows-1252`. */
  encoding?: TextEncodingName;
  idBase?: string;
}

/**
 * Reads the `label sentence` format of the Harvard sentence-classification releases (SST-5's
 * `stsa.fine.*`, MR's `rt-polarity.all`): the label token, one space, the sentence. Streams in one
 * pass. A line without a space, with an unknown label or with an empty sentence is a bad row
 * (`DATA_ROW_INVALID` naming file and line, or skipped and counted with `skipBadRows`).
 */
export async function readLabelSentenceFile(file: string, options: LabelSentenceOptions): Promise<LoadedSplit> {
  const issues = new RowIssues(file, options);
  const labelIndex = new Map(options.labels.map((l, i) => [l, i]));
  const idBase = options.idBase ?? file;
  const examples: Example[] = [];
  for await (const item of readLines(file, options.encoding ? { encoding: options.encoding } : {})) {
    if (item.error) {
      issues.bad(item.line, item.error);
      continue;
    }
    const space = item.text.indexOf(' ');
    if (space < 0) {
      issues.bad(item.line, 'expected `<label> <sentence>`, found no space');
      continue;
    }
    const raw = item.text.slice(0, space);
    const label = labelIndex.get(raw);
    if (label === undefined) {
      issues.bad(item.line, `unknown label '${raw}' (expected one of ${options.labels.join(', ')})`);
      continue;
    }
    const text = item.text.slice(space + 1);
    if (text.trim() === '') {
      issues.bad(item.line, 'empty text');
      continue;
    }
    examples.push({ id: `${idBase}:${item.line}`, text, label });
    if (options.limit !== undefined && examples.length >= options.limit) break;
  }
  return { examples, skipped: issues.skipped, source: file };
}
