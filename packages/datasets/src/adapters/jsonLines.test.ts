import { describe, expect, it } from 'vitest';
import { readJsonFile, readJsonLines } from './jsonLines.js';
import { imdbMapper } from './imdb.js';
import { readLabelSentenceFile } from './labelSentence.js';
import { tmpFile } from '../testing/tmpFiles.js';

const mapping = { columns: { text: 'text', label: 'label' }, labels: ['neg', 'pos'] } as const;

describe('readJsonLines / readJsonFile', () => {
  it('names file and line for broken JSON, a non-object, a missing field and a bad label', async () => {
    const cases: [string, string][] = [
      ['{"text":"ok","label":"pos"}\n{"text":"broken",\n', ':2: invalid JSON'],
      ['[1,2]\n', ':1: expected a JSON object'],
      ['{"label":"pos"}\n', ":1: missing or empty text property 'text'"],
      ['{"text":"x","label":"meh"}\n', ":1: unknown label 'meh' (expected one of neg, pos)"],
      ['{"text":"x","label":"pos"}\n   \n', ':2: blank line'],
    ];
    for (const [content, message] of cases) {
      const path = await tmpFile('d.jsonl', content);
      const err = await readJsonFile(path, mapping).catch((e: unknown) => e as { code: string; message: string });
      expect((err as { code: string }).code).toBe('DATA_ROW_INVALID');
      expect((err as { message: string }).message.startsWith(`${path}${message}`)).toBe(true);
    }
  });

  it('skips and counts bad lines when asked, including invalid UTF-8', async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"text":"good","label":"pos"}\n{oops}\n{"text":"caf'),
      Buffer.from([0xe9]),
      Buffer.from('","label":"neg"}\n{"text":"also good","label":"neg"}\n'),
    ]);
    const path = await tmpFile('m.jsonl', bytes);
    await expect(readJsonFile(path, mapping)).rejects.toMatchObject({ message: expect.stringMatching(new RegExp(`^${path}:2: invalid JSON`)) });
    const skips: string[] = [];
    const r = await readJsonFile(path, { ...mapping, skipBadRows: true, onSkip: (s) => skips.push(`${s.line}: ${s.reason.slice(0, 14)}`) });
    expect(r.examples.map((e) => [e.id, e.text, e.label])).toEqual([
      [`${path}:1`, 'good', 1],
      [`${path}:4`, 'also good', 0],
    ]);
    expect(r.skipped).toBe(2);
    expect(skips).toEqual(['2: invalid JSON (', '3: invalid UTF-8:']);
  });

  it('reads numbers and booleans as label strings, and numeric targets without labels', async () => {
    const path = await tmpFile('n.jsonl', '{"t":"a","y":1}\n{"t":"b","y":true}\n{"t":"c","y":"0.5"}\n');
    const r = await readJsonFile(path, { columns: { text: 't', label: 'y' }, labels: ['1', 'true'] , skipBadRows: true });
    expect([r.examples.map((e) => e.label), r.skipped]).toEqual([[0, 1], 1]);
    const reg = await readJsonFile(path, { columns: { text: 't', label: 'y' }, skipBadRows: true });
    expect([reg.examples.map((e) => e.label), reg.skipped]).toEqual([[1, 0.5], 1]);
  });

  it('streams gzip JSONL (IMDB format) and checks label against rating', async () => {
    const rows = [
      { id: 0, rating: 9, label: 1, text: 'great<br />film' },
      { id: 1, rating: 2, label: 0, text: 'dull' },
      { id: 2, rating: 3, label: 1, text: 'mislabelled' },
    ];
    const path = await tmpFile('train.jsonl.gz', rows.map((r) => JSON.stringify(r)).join('\n'), true);
    await expect(readJsonLines(path, { map: imdbMapper })).rejects.toMatchObject({ message: `${path}:3: label 1 disagrees with rating 3` });
    const r = await readJsonLines(path, { map: imdbMapper, idBase: 'sentiment/imdb/train.jsonl.gz', limit: 2 });
    expect(r.examples).toEqual([
      { id: 'sentiment/imdb/train.jsonl.gz:1', text: 'great<br />film', label: 1, fields: { rating: '9' } },
      { id: 'sentiment/imdb/train.jsonl.gz:2', text: 'dull', label: 0, fields: { rating: '2' } },
    ]);
  });
});

describe('readLabelSentenceFile', () => {
  it('reads `label sentence` lines and names file and line for a bad label or a missing sentence', async () => {
    const path = await tmpFile('stsa.fine.dev', '3 a good film \n4 great\n');
    expect((await readLabelSentenceFile(path, { labels: ['0', '1', '2', '3', '4'] })).examples).toEqual([
      { id: `${path}:1`, text: 'a good film ', label: 3 },
      { id: `${path}:2`, text: 'great', label: 4 },
    ]);
    const bad = await tmpFile('bad', '1 fine\n7 what\nnospace\n0  \n');
    await expect(readLabelSentenceFile(bad, { labels: ['0', '1'] })).rejects.toMatchObject({ message: `${bad}:2: unknown label '7' (expected one of 0, 1)` });
    const seen: string[] = [];
    const r = await readLabelSentenceFile(bad, { labels: ['0', '1'], skipBadRows: true, onSkip: (s) => seen.push(`${s.line} ${s.reason}`) });
    expect([r.examples.length, r.skipped, seen]).toEqual([1, 3, ["2 unknown label '7' (expected one of 0, 1)", '3 expected `<label> <sentence>`, found no space', '4 empty text']]);
  });

  it('fails on Windows-1252 bytes unless the encoding is declared', async () => {
    const path = await tmpFile('rt-polarity.all', Buffer.concat([Buffer.from('0 the action clich'), Buffer.from([0xe9]), Buffer.from('s just pile up . \n')]));
    await expect(readLabelSentenceFile(path, { labels: ['0', '1'] })).rejects.toMatchObject({ message: expect.stringMatching(new RegExp(`^${path}:1: invalid UTF-8: byte 0xE9`)) });
    const r = await readLabelSentenceFile(path, { labels: ['0', '1'], encoding: 'windows-1252' });
    expect(r.examples[0]!.text).toBe('the action clichés just pile up . ');
  });
});
