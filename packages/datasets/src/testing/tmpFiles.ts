import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** A fresh temporary folder for one test's files. */
export function tmpDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'panda-datasets-'));
}

/** Writes `content` (text or bytes; gzip-compressed when `gzip`) to `dir/rel`, creating folders; returns the path. */
export async function writeAt(dir: string, rel: string, content: string | Uint8Array, gzip = false): Promise<string> {
  const path = join(dir, rel);
  await mkdir(dirname(path), { recursive: true });
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content);
  await writeFile(path, gzip ? gzipSync(bytes) : bytes);
  return path;
}

/** Writes one file in a new temporary folder; returns its path. */
export async function tmpFile(name: string, content: string | Uint8Array, gzip = false): Promise<string> {
  return writeAt(await tmpDir(), name, content, gzip);
}
