import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { invalidUtf8Offset, readLines, type LineItem } from './lines.js';
import { tmpFile } from '../testing/tmpFiles.js';

async function all(file: string, options: Parameters<typeof readLines>[1] = {}): Promise<LineItem[]> {
  const out: LineItem[] = [];
  for await (const item of readLines(file, options)) out.push(item);
  return out;
}

describe('readLines', () => {
  it('numbers physical lines, handles CRLF, a BOM, empty lines and a last line without newline', async () => {
    const path = await tmpFile('a.txt', '\uFEFFfirst\r\n\r\nthird\nlast');
    expect(await all(path)).toEqual([
      { line: 1, text: 'first' },
      { line: 3, text: 'third' },
      { line: 4, text: 'last' },
    ]);
    expect((await all(path, { keepEmpty: true })).map((l) => l.line)).toEqual([1, 2, 3, 4]);
  });

  it('reports invalid UTF-8 with its line and byte, and decodes Windows-1252 when declared', async () => {
    const bytes = Buffer.concat([Buffer.from('ok\nclich'), Buffer.from([0xe9]), Buffer.from('s '), Buffer.from([0x97]), Buffer.from(' done\nfine\n')]);
    const path = await tmpFile('latin.txt', bytes);
    const lines = await all(path);
    expect(lines[0]).toEqual({ line: 1, text: 'ok' });
    expect(lines[1]!.line).toBe(2);
    expect(lines[1]!.error).toMatch(/^invalid UTF-8: byte 0xE9 at byte 6 of the line/);
    expect(lines[2]).toEqual({ line: 3, text: 'fine' });
    expect((await all(path, { encoding: 'windows-1252' }))[1]).toEqual({ line: 2, text: 'clichés — done' });
  });

  it('finds the first invalid UTF-8 sequence (overlong, surrogate, truncated)', () => {
    expect(invalidUtf8Offset(Buffer.from('héllo ✓ 𝄞', 'utf8'))).toBe(-1);
    expect(invalidUtf8Offset(Uint8Array.from([0x61, 0xc0, 0x80]))).toBe(1); // overlong NUL
    expect(invalidUtf8Offset(Uint8Array.from([0xed, 0xa0, 0x80]))).toBe(0); // UTF-16 surrogate
    expect(invalidUtf8Offset(Uint8Array.from([0x61, 0x62, 0xe2, 0x9c]))).toBe(2); // truncated
    expect(invalidUtf8Offset(Uint8Array.from([0xf5, 0x80, 0x80, 0x80]))).toBe(0);
  });

  it('streams gzip and stops reading when the consumer stops', async () => {
    // ~5.5 MB of base64 text lines (~4 MB, gzip-compressed: reading 3 lines must not read the file.
    const body = Array.from({ length: 60_000 }, (_, i) => `${i}\t${randomBytes(64).toString('base64')}`).join('\n');
    const path = await tmpFile('big.txt.gz', body, true);
    const size = (await stat(path)).size;
    const stats = { bytesRead: 0 };
    const seen: string[] = [];
    for await (const item of readLines(path, { stats })) {
      seen.push(item.text);
      if (seen.length === 3) break;
    }
    expect(seen[2]!.startsWith('2\t')).toBe(true);
    expect(size).toBeGreaterThan(3_000_000);
    expect(stats.bytesRead).toBeLessThan(1_000_000);
    const full = { bytesRead: 0 };
    let n = 0;
    for await (const _ of readLines(path, { stats: full })) n++;
    expect(n).toBe(60_000);
    expect(full.bytesRead).toBe(size);
  });

  it('fails with file and line on corrupt gzip data, and DATA_FILE_MISSING on a missing file', async () => {
    const lines = Array.from({ length: 2000 }, () => randomBytes(48).toString('hex')).join('\n');
    const corrupt = Buffer.from((await import('node:zlib')).gzipSync(Buffer.from(lines)));
    corrupt.fill(0x41, 20_000, 20_400);
    const path = await tmpFile('bad.jsonl.gz', corrupt);
    await expect(all(path)).rejects.toMatchObject({ code: 'DATA_ROW_INVALID', message: expect.stringMatching(new RegExp(`^${path}:\\d+: corrupt gzip data`)) });
    await expect(all('/nonexistent/file.txt')).rejects.toMatchObject({ code: 'DATA_FILE_MISSING' });
  });
});
