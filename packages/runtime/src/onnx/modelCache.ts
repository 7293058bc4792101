import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../fs/writeFileAtomic.js';

/** Where generated ONNX models are kept: $PANDA_CACHE_DIR/onnx, else ~/.cache/panda/onnx. */
export function onnxCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.PANDA_CACHE_DIR ?? join(homedir(), '.cache', 'panda'), 'onnx');
}

/**
 * The file of a generated model: made once by `generate` and kept under `key` (which must change
 * whenever the weights or the generator do: a weights hash and a generator version), then reused.
 * A cache that cannot be written (read-only home) is skipped: the model is generated in memory.
 * @returns a path, or the bytes when nothing could be written
 */
export async function cachedModel(key: string, generate: () => Uint8Array, dir: string = onnxCacheDir()): Promise<string | Uint8Array> {
  const file = join(dir, `${key.replace(/[^A-Za-z0-9._-]/g, '_')}.onnx`);
  if (existsSync(file)) return file;
  const bytes = generate();
  try {
    mkdirSync(dir, { recursive: true });
    await writeFileAtomic(file, bytes);
    return file;
  } catch {
    return bytes;
  }
}
