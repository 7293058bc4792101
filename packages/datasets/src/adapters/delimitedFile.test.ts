import { describe, expect, it } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDelimitedFile } from './delimitedFile.js';
import { fileTask } from '../registry/fileTask.js';

async function tmpFile(name: string, content: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'panda-data-'));
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

const tsv = { delimiter: '\t' as const, columns: { text: 'sentence', label: 'label' }, labels: ['0', '1'] };

describe('readDelimitedFile', () => {
  it('reads a GLUE-style TSV with unquoted quotes and a BOM', async () => {
    const path = await tmpFile('a.tsv', '\uFEFFsentence\tlabel\nit\'s "great" \t1\nawful\t0\n\n');
    const { examples, skipped } = await readDelimitedFile(path, tsv);
    expect(skipped).toBe(0);
    expect(examples).toEqual([
      { id: `${path}:2`, text: 'it\'s "great" ', label: 1 },
      { id: `${path}:3`, text: 'awful', label: 0 },
    ]);
  });

  it('names file and line for a short row, an unknown label and an empty text', async () => {
    const short = await tmpFile('s.tsv', 'sentence\tlabel\nfine\t1\nno label here\n');
    await expect(readDelimitedFile(short, tsv)).rejects.toMatchObject({ code: 'DATA_ROW_INVALID', message: `${short}:3: expected at least 2 columns, found 1` });
    const unknown = await tmpFile('u.tsv', 'sentence\tlabel\nfine\t7\n');
    await expect(readDelimitedFile(unknown, tsv)).rejects.toMatchObject({ code: 'DATA_ROW_INVALID', message: `${unknown}:2: unknown label '7' (expected one of 0, 1)` });
    const empty = await tmpFile('e.tsv', 'sentence\tlabel\n \t1\n');
    await expect(readDelimitedFile(empty, tsv)).rejects.toMatchObject({ code: 'DATA_ROW_INVALID' });
  });

  it('skips and counts bad rows when asked, never silently', async () => {
    const path = await tmpFile('m.tsv', 'sentence\tlabel\ngood\t1\nbad\tx\nshort\nalso good\t0\n');
    const seen: number[] = [];
    const r = await readDelimitedFile(path, { ...tsv, skipBadRows: true, onSkip: (s) => seen.push(s.line) });
    expect(r.examples.map((e) => e.text)).toEqual(['good', 'also good']);
    expect(r.skipped).toBe(2);
    expect(seen).toEqual([3, 4]);
  });

  it('fails clearly on a missing file, a missing column and an empty file', async () => {
    await expect(readDelimitedFile('/nonexistent/x.tsv', tsv)).rejects.toMatchObject({ code: 'DATA_FILE_MISSING', message: 'data file not found: /nonexistent/x.tsv' });
    const path = await tmpFile('c.tsv', 'text\tlabel\nx\t1\n');
    await expect(readDelimitedFile(path, tsv)).rejects.toMatchObject({ code: 'DATA_ROW_INVALID', message: expect.stringContaining("no column named 'sentence'") });
    const empty = await tmpFile('z.tsv', '');
    await expect(readDelimitedFile(empty, tsv)).rejects.toMatchObject({ code: 'DATA_ROW_INVALID' });
  });

  it('reads quoted CSV with a column mapping through fileTask', async () => {
    const path = await tmpFile('mine.csv', 'id,review,stars\n1,"good, really",pos\n2,"bad ""very""",neg\n');
    const task = fileTask({ files: { train: path }, columns: { text: 'review', label: 'stars' }, labels: ['neg', 'pos'] });
    const { examples } = await task.load('train', { dataDir: '/unused' });
    expect(examples.map((e) => [e.text, e.label])).toEqual([
      ['good, really', 1],
      ['bad "very"', 0],
    ]);
    await expect(task.load('dev', { dataDir: '/unused' })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});
