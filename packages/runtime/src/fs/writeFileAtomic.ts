import { open, rename, unlink, mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { PandaError } from '@panda/core';

/** What the system's error codes mean for a write, in words. */
const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large (a size limit)',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'the path is a folder',
  ENOENT: 'no such file or folder',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'the name is too long',
};

/**
 * A failed write as `PandaError('IO_FAILED')` naming the path and the reason (`details.path`,
 * `details.reason`: the system code such as ENOSPC, EACCES, EROFS); a PandaError passes through.
 */
export function ioFailed(path: string, err: unknown, action = 'write'): PandaError {
  if (err instanceof PandaError) return err;
  const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : 'UNKNOWN';
  const words = REASONS[code] ?? (err instanceof Error ? err.message : String(err));
  return new PandaError('IO_FAILED', `cannot ${action} ${path}: ${code} (${words})`, { cause: err, details: { path, reason: code } });
}

/**
 * Writes a file so that readers see either the old content or the new, never a torn one:
 * write a temp file in the same folder, fsync it, rename over the target. On any failure the
 * temp file is removed and the old content stays.
 *
 * A target that exists and is neither a file nor a folder (a device such as /dev/null, a FIFO) is
 * written in place: renaming over it would replace the device node.
 * @throws PandaError `IO_FAILED` naming the path and the reason (ENOSPC, EACCES, EROFS, ...).
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const dir = dirname(path);
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw ioFailed(path, err);
  }
  const existing = await stat(path).catch(() => undefined);
  if (existing && !existing.isFile() && !existing.isDirectory()) {
    try {
      return await writeFile(path, data);
    } catch (err) {
      throw ioFailed(path, err);
    }
  }
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let created = false;
  try {
    const handle = await open(tmp, 'wx');
    created = true;
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    if (created) await unlink(tmp).catch(() => {});
    throw ioFailed(path, err);
  }
}
