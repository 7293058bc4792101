import { describe, expect, it } from 'vitest';
import { readDelimitedFile, readDelimitedTexts } from './delimitedFile.js';
import { fileTask } from '../registry/fileTask.js';
import { tmpFile } from '../testing/tmpFiles.js';

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
    await expect(readDelimitedFile('/nonexistent/x.csv', { ...tsv, delimiter: ',' })).rejects.toMatchObject({ code: 'DATA_FILE_MISSING', message: 'data file not found: /nonexistent/x.csv' });
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

  it('names file and line for bytes that are not UTF-8, in TSV and in quoted CSV', async () => {
    const tsvBytes = Buffer.concat([Buffer.from('sentence\tlabel\nfine\t1\ncaf'), Buffer.from([0xe9]), Buffer.from('\t0\nlast\t1\n')]);
    const tsvPath = await tmpFile('latin1.tsv', tsvBytes);
    await expect(readDelimitedFile(tsvPath, tsv)).rejects.toMatchObject({ code: 'DATA_ROW_INVALID', message: expect.stringMatching(new RegExp(`^${tsvPath}:3: invalid UTF-8: byte 0xE9`)) });
    const skipped = await readDelimitedFile(tsvPath, { ...tsv, skipBadRows: true });
    expect([skipped.examples.map((e) => e.text), skipped.skipped]).toEqual([['fine', 'last'], 1]);

    const csvBytes = Buffer.concat([Buffer.from('review,stars\n"multi\nline, quoted",pos\n"caf'), Buffer.from([0xe9]), Buffer.from('",neg\nplain,neg\n')]);
    const csvPath = await tmpFile('latin1.csv', csvBytes);
    const csv = { delimiter: ',' as const, columns: { text: 'review', label: 'stars' }, labels: ['neg', 'pos'] };
    await expect(readDelimitedFile(csvPath, csv)).rejects.toMatchObject({ message: expect.stringMatching(new RegExp(`^${csvPath}:4: invalid UTF-8`)) });
    const r = await readDelimitedFile(csvPath, { ...csv, skipBadRows: true });
    expect(r.skipped).toBe(1);
    expect(r.examples).toEqual([
      { id: `${csvPath}:3`, text: 'multi\nline, quoted', label: 1 },
      { id: `${csvPath}:5`, text: 'plain', label: 0 },
    ]);
  });

  it('reports an unterminated quote in CSV with file and line', async () => {
    const path = await tmpFile('q.csv', 'text,label\n"never closed,1\nnext,0\n');
    await expect(readDelimitedFile(path, { delimiter: ',', columns: { text: 'text', label: 'label' }, labels: ['0', '1'] })).rejects.toMatchObject({
      code: 'DATA_ROW_INVALID',
      message: expect.stringMatching(new RegExp(`^${path}:\\d+: malformed CSV`)),
    });
  });

  it('uses an id base, tolerates a documented number of known bad rows, and stops at a limit', async () => {
    const path = await tmpFile('k.tsv', 'a b 0\ngood\t1\nfine\t0\nmore\t1\n');
    const opts = { delimiter: '\t' as const, header: false, columns: { text: 0, label: 1 }, labels: ['0', '1'], idBase: 'rel/k.tsv' };
    const seen: number[] = [];
    const r = await readDelimitedFile(path, { ...opts, knownBadRows: 1, onSkip: (s) => seen.push(s.line) });
    expect([r.examples.length, r.skipped, seen, r.examples[0]!.id]).toEqual([3, 1, [1], 'rel/k.tsv:2']);
    const twoBad = await tmpFile('k2.tsv', 'a b 0\ngood\t1\nbad\n');
    await expect(readDelimitedFile(twoBad, { ...opts, knownBadRows: 1 })).rejects.toMatchObject({ message: `${twoBad}:3: expected at least 2 columns, found 1` });
    expect((await readDelimitedFile(path, { ...opts, skipBadRows: true, limit: 2 })).examples.map((e) => e.text)).toEqual(['good', 'fine']);
  });

  it('reads an unlabelled test file', async () => {
    const path = await tmpFile('test.tsv', 'index\tsentence1\tsentence2\n0\ta\tb\n1\tc\n');
    await expect(readDelimitedTexts(path, { delimiter: '\t', columns: { text: 'sentence1', textB: 'sentence2' } })).rejects.toMatchObject({ message: `${path}:3: expected at least 3 columns, found 2` });
    const r = await readDelimitedTexts(path, { delimiter: '\t', columns: { text: 'sentence1', textB: 'sentence2' }, skipBadRows: true });
    expect(r).toEqual({ examples: [{ id: `${path}:2`, text: 'a', textB: 'b' }], skipped: 1, source: path });
  });

  it('reads JSONL with a property mapping through fileTask', async () => {
    const path = await tmpFile('mine.jsonl', '{"q":"is it?","a":"yes it is","y":true}\n{"q":"x","a":"y","y":false}\n');
    const task = fileTask({ files: { train: path }, columns: { text: 'q', textB: 'a', label: 'y' }, labels: ['false', 'true'] });
    expect(task.type).toBe('pair');
    const { examples } = await task.load('train', { dataDir: '/unused' });
    expect(examples.map((e) => [e.text, e.textB, e.label])).toEqual([
      ['is it?', 'yes it is', 1],
      ['x', 'y', 0],
    ]);
  });
});
