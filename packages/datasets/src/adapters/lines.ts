import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { isUtf8 } from 'node:buffer';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { PandaError } from '@panda/core';
import { rowError } from './rowIssues.js';

/**
 * Text encodings a data file may declare. UTF-8 is checked strictly: an invalid byte sequence is
 * reported with file and line, never replaced by U+FFFD. `windows-1252` is the code page of
 * old corpora such as MR's rt-polarity (every byte decodes, so nothing can be invalid).
 */
export type TextEncodingName = 'utf-8' | 'windows-1252';

/** Options of `readLines`. */
export interface LineReadOptions {
  /** Decompress with gzip while streaming (default: when the file name ends in `.gz`). */
  gzip?: boolean;
  /** Default `utf-8`. */
  encoding?: TextEncodingName;
  /** Filled in when the reader stops: bytes read from disk (compressed bytes for gzip). */
  stats?: { bytesRead: number };
  /** Yield empty lines too (quoted CSV needs them inside multi-line fields). Default false. */
  keepEmpty?: boolean;
}

/**
 * One physical line (1-based `line`). When its bytes are not valid in the declared encoding,
 * `error` says why and `text` is a lossy decoding (U+FFFD for bad bytes) that must not be used as data.
 */
export interface LineItem {
  line: number;
  text: string;
  error?: string;
}

/** Fails with `DATA_FILE_MISSING` (message `data file not found: <file>`) when the file cannot be read. */
export async function assertReadable(file: string): Promise<void> {
  try {
    await access(file);
  } catch {
    throw new PandaError('DATA_FILE_MISSING', `data file not found: ${file}`, { details: { file } });
  }
}

/**
 * Byte offset of the first invalid UTF-8 sequence in `bytes` (overlong forms, surrogates and
 * truncated sequences included), or -1 when the bytes are valid UTF-8.
 */
export function invalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const c = bytes[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let n: number;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) n = 2;
    else if (c >= 0xf0 && c <= 0xf4) n = 3;
    else return i;
    if (i + n >= bytes.length) return i;
    for (let k = 1; k <= n; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return i;
    const c1 = bytes[i + 1]!;
    if ((c === 0xe0 && c1 < 0xa0) || (c === 0xed && c1 > 0x9f) || (c === 0xf0 && c1 < 0x90) || (c === 0xf4 && c1 > 0x8f)) return i;
    i += n + 1;
  }
  return -1;
}

// Bytes 0x80-0x9F of Windows-1252 (WHATWG's table; the five unassigned bytes map to C1 controls).
const CP1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];

/**
 * Decodes Windows-1252. (Node 20's `TextDecoder('windows-1252')` decodes as ISO-8859-1, turning
 * 0x97 into U+0097 instead of an em dash, so the table is applied here.)
 */
function decodeWindows1252(bytes: Buffer): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 8192) {
    const codes = Array.from(bytes.subarray(i, i + 8192), (b) => (b >= 0x80 && b <= 0x9f ? CP1252_HIGH[b - 0x80]! : b));
    out += String.fromCharCode(...codes);
  }
  return out;
}

function decoderFor(encoding: TextEncodingName): (bytes: Buffer) => string | { error: string; lossy: string } {
  if (encoding === 'windows-1252') return decodeWindows1252;
  return (bytes) => {
    if (isUtf8(bytes)) return bytes.toString('utf8');
    const at = invalidUtf8Offset(bytes);
    const byte = bytes[at] ?? 0;
    return { lossy: bytes.toString('utf8'), error: `invalid UTF-8: byte 0x${byte.toString(16).toUpperCase().padStart(2, '0')} at byte ${at + 1} of the line (is the file in another encoding, such as Windows-1252? convert it to UTF-8)` };
  };
}

/**
 * Streams a text file line by line, optionally through gunzip, in one pass with bounded memory
 * (one chunk plus the current line). Handles `\n` and `\r\n`, strips a UTF-8 byte-order mark,
 * skips empty lines unless `keepEmpty` (their numbers still count), and yields undecodable lines with `error` set
 * so that callers can fail or skip them by their own policy. Stopping early (a `break` in the
 * consumer) closes the file. Corrupt gzip data fails with `DATA_ROW_INVALID` naming the line it
 * was reading.
 */
export async function* readLines(file: string, options: LineReadOptions = {}): AsyncGenerator<LineItem> {
  await assertReadable(file);
  const gzip = options.gzip ?? file.toLowerCase().endsWith('.gz');
  const encoding = options.encoding ?? 'utf-8';
  const decode = decoderFor(encoding);
  const raw = createReadStream(file, { highWaterMark: 256 * 1024 });
  const source = gzip ? pipeline(raw, createGunzip(), () => {}) : raw;
  let line = 0;
  let pending: Buffer[] = [];

  const item = (bytes: Buffer): LineItem | undefined => {
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === 13) end--;
    let start = 0;
    if (line === 1 && encoding === 'utf-8' && end >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
    if (end <= start) return options.keepEmpty ? { line, text: '' } : undefined;
    const decoded = decode(bytes.subarray(start, end));
    return typeof decoded === 'string' ? { line, text: decoded } : { line, text: decoded.lossy, error: decoded.error };
  };

  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      let pos = 0;
      for (;;) {
        const nl = chunk.indexOf(10, pos);
        if (nl < 0) {
          if (pos < chunk.length) pending.push(chunk.subarray(pos));
          break;
        }
        let bytes = chunk.subarray(pos, nl);
        if (pending.length) {
          pending.push(bytes);
          bytes = Buffer.concat(pending);
          pending = [];
        }
        pos = nl + 1;
        line++;
        const out = item(bytes);
        if (out) yield out;
      }
    }
    if (pending.length) {
      line++;
      const out = item(Buffer.concat(pending));
      if (out) yield out;
    }
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('Z_')) throw rowError(file, line + 1, `corrupt gzip data (${(err as Error).message})`);
    throw err;
  } finally {
    if (options.stats) options.stats.bytesRead = raw.bytesRead;
    raw.destroy();
    if (source !== raw) source.destroy();
  }
}
