import { PandaError } from '@panda/core';
import { RowIssues, readDelimitedFile, readDelimitedRows } from '@panda/datasets';

export interface PreviewOptions {
  format: 'csv' | 'tsv';
  /** A display name for messages (never the server path). */
  name: string;
  rows: number;
  /** With `label`: every row is also read as a training job reads it, so its refusals show too. */
  columns?: { text: string; label: string; textB?: string };
  labels?: string[];
}

export interface DatasetPreview {
  columns: string[];
  rows: Array<{ line: number; cells: string[] }>;
  badRows: Array<{ line: number; reason: string }>;
  badRowCount: number;
  labelValues: Record<string, Array<{ value: string; count: number }>>;
}

const MAX_BAD = 100;
const MAX_DISTINCT = 50;

/**
 * What an uploaded file holds, through the datasets package's readers: the header, the first rows,
 * the rows that cannot be parsed or have another number of fields than the header (with the
 * reason), and the distinct values of columns with few of them (the candidate label columns). With
 * text and label columns, the rows a training job on the file would refuse (empty texts, labels
 * outside `labels`) are listed too, with the reader's own reasons.
 */
export async function previewDataset(file: string, options: PreviewOptions): Promise<DatasetPreview> {
  const delimiter = options.format === 'tsv' ? '\t' : ',';
  const bad = new Map<number, string>();
  const issues = new RowIssues(options.name, { skipBadRows: true, onSkip: (r) => bad.set(r.line, r.reason) });
  let columns: string[] | undefined;
  const rows: DatasetPreview['rows'] = [];
  const distinct: Array<Map<string, number> | undefined> = [];
  for await (const { line, row } of readDelimitedRows(file, { delimiter, header: true }, issues)) {
    if (!columns) {
      columns = row.map((c) => c.trim());
      columns.forEach((_, i) => (distinct[i] = new Map()));
      continue;
    }
    if (row.length !== columns.length) bad.set(line, `expected ${columns.length} fields (the header's), found ${row.length}`);
    if (rows.length < options.rows) rows.push({ line, cells: row });
    row.forEach((cell, i) => {
      const counts = distinct[i];
      if (!counts) return;
      counts.set(cell, (counts.get(cell) ?? 0) + 1);
      if (counts.size > MAX_DISTINCT) distinct[i] = undefined;
    });
  }
  if (!columns) throw new PandaError('DATA_ROW_INVALID', `${options.name}: the file has no header row`);
  const labelAt = options.columns ? columns.indexOf(options.columns.label) : -1;
  const seen = labelAt >= 0 ? distinct[labelAt] : undefined;
  const labels = options.labels?.length ? options.labels : seen ? [...seen.keys()].filter((v) => v.trim() !== '') : undefined;
  if (options.columns && labels?.length) {
    // The training reader's own checks (it names the line and the reason of each row it would
    // refuse). Without a label list every value of the label column counts as a label (a reader
    // without labels would read a regression target); a column of too many values is not checked.
    await readDelimitedFile(file, {
      delimiter,
      header: true,
      columns: options.columns,
      labels,
      skipBadRows: true,
      onSkip: (r) => bad.has(r.line) || bad.set(r.line, r.reason),
    }).catch((err: unknown) => {
      // A column that is not in the file: the reader's error, naming the upload rather than the server path.
      if (err instanceof PandaError) throw new PandaError(err.code, err.message.replaceAll(file, options.name), { details: { line: 1 } });
      throw err;
    });
  }
  const labelValues: DatasetPreview['labelValues'] = {};
  columns.forEach((name, i) => {
    const counts = distinct[i];
    if (counts && counts.size > 0) labelValues[name] = [...counts].sort((a, b) => b[1] - a[1]).map(([value, count]) => ({ value, count }));
  });
  const badRows = [...bad].sort((a, b) => a[0] - b[0]).map(([line, reason]) => ({ line, reason: reason.replaceAll(file, options.name) }));
  return { columns, rows, badRows: badRows.slice(0, MAX_BAD), badRowCount: badRows.length, labelValues };
}
