/**
 * Test-only crash hooks. When the environment variable PANDA_BANK_CRASH_AFTER names a point, the
 * process SIGKILLs itself there (no cleanup, no exit handlers), exactly like a kill -9 or a power cut
 * at that moment (minus unflushed OS buffers). Points, in the order a write passes them:
 *
 *   adapter-copy  the adapter folder is in place, SQLite not written yet
 *   sqlite        the SQLite transaction committed, the in-memory index not updated, no index file
 *   index-file    a new index file is renamed into place, its pointer row in SQLite not written yet
 *   pointer       the pointer row is committed, the previous index file not deleted yet
 *
 * Unset (the normal case) this costs one environment lookup per write.
 */
export type CrashPoint = 'adapter-copy' | 'sqlite' | 'index-file' | 'pointer';

export const CRASH_ENV = 'PANDA_BANK_CRASH_AFTER';

export function crashPoint(point: CrashPoint): void {
  if (process.env[CRASH_ENV] === point) process.kill(process.pid, 'SIGKILL');
}
