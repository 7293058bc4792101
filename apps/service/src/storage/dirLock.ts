import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { PandaError } from '@panda/core';

/** The lock file's name inside the data directory. */
export const LOCK_FILE = 'service.lock';

const ownerSchema = z.object({
  pid: z.number().int().positive(),
  host: z.string(),
  startedAt: z.string(),
  token: z.string().optional(),
});
export type LockOwner = z.infer<typeof ownerSchema>;

export interface DirLock {
  /** Absolute path of the lock file. */
  readonly file: string;
  readonly owner: LockOwner;
  /** Removes the lock file when it is still this lock's (idempotent). */
  release(): void;
}

/**
 * Takes the single-instance lock of a data directory: `service.lock` holding the owner's pid, host
 * and start time. The file appears atomically with its content (written beside it, then hard-linked
 * into place, which fails when the lock exists), so another process never reads a half-written lock.
 * A lock held by a live process is refused with `DIR_LOCKED` naming the pid; a lock whose process
 * is gone (on this host) is stale and taken over.
 */
export function lockDir(dir: string): DirLock {
  const file = join(dir, LOCK_FILE);
  const owner: LockOwner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), token: randomBytes(8).toString('hex') };
  const tmp = join(dir, `${LOCK_FILE}.${process.pid}.${owner.token}`);
  try {
    writeFileSync(tmp, JSON.stringify(owner) + '\n', { flag: 'wx' });
  } catch (err) {
    throw ioError(tmp, err);
  }
  try {
    // A few attempts: the next after a stale lock was removed (or vanished meanwhile).
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(tmp, file);
        return { file, owner, release: () => release(file, owner.token!) };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError(file, err);
      }
      const held = readOwner(file);
      if (held === 'gone') continue;
      if (held !== 'unreadable' && isAlive(held)) {
        const where = held.host === owner.host ? '' : ` on host ${held.host}`;
        throw new PandaError('DIR_LOCKED', `the data directory ${dir} is in use by another panda service (pid ${held.pid}${where}, since ${held.startedAt}); stop it first, or use another --dir (if no service runs there, delete ${file})`, {
          details: { pid: held.pid, host: held.host, startedAt: held.startedAt, file },
        });
      }
      if (held === 'unreadable') {
        throw new PandaError('DIR_LOCKED', `the data directory ${dir} has a lock file that cannot be read (${file}); if no panda service runs there, delete it`, { details: { file } });
      }
      // Stale: its process is gone. Remove it and try again.
      try {
        unlinkSync(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(file, err);
      }
    }
    throw new PandaError('DIR_LOCKED', `the data directory ${dir} is being locked by another process right now; try again`, { details: { file } });
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
  }
}

function readOwner(file: string): LockOwner | 'gone' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'gone' : 'unreadable';
  }
  try {
    const parsed = ownerSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

/** Whether the lock's owner still runs. A lock from another host cannot be checked: it counts as held. */
function isAlive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function release(file: string, token: string): void {
  const held = readOwner(file);
  // Only this lock's own file: a stale lock taken over by another service is that one's now.
  if (typeof held !== 'object' || held.token !== token) return;
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}

function ioError(file: string, err: unknown): PandaError {
  return new PandaError('IO_FAILED', `cannot write the lock file ${file}: ${(err as Error).message}`, { cause: err, details: { path: file } });
}
