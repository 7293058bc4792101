import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCK_FILE, lockDir } from './dirLock.js';

const tempDir = () => mkdtempSync(join(tmpdir(), 'panda-lock-'));

describe('lockDir', () => {
  it('refuses a directory a live process holds, naming its pid, until that lock is released', () => {
    const dir = tempDir();
    const lock = lockDir(dir);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
    let caught: unknown;
    try {
      lockDir(dir);
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ code: 'DIR_LOCKED', details: { pid: process.pid } });
    expect((caught as Error).message).toContain(`pid ${process.pid}`);
    lock.release();
    expect(readdirSync(dir)).toEqual([]); // no lock, no temporary file left
    lockDir(dir).release();
  });

  it('takes over a stale lock, and a released stale owner does not remove the new lock', () => {
    const dir = tempDir();
    const stale = lockDir(dir);
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ ...stale.owner, pid: dead }));
    const lock = lockDir(dir);
    expect(lock.owner.pid).toBe(process.pid);
    stale.release(); // its token no longer owns the file
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('refuses a lock file it cannot read rather than guessing it is stale', () => {
    const dir = tempDir();
    writeFileSync(join(dir, LOCK_FILE), 'not json');
    expect(() => lockDir(dir)).toThrow(expect.objectContaining({ code: 'DIR_LOCKED' }));
  });
});
