import { access, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { isPandaError, PandaError } from '@panda/core';
import { writeFileAtomic } from '@panda/runtime';
import { RUN_MANIFEST_FILE, runConfigPathSync } from './runFiles.js';

/** Where a run folder keeps its checkpoint. */
export const CHECKPOINT_SUBDIR = 'checkpoint';

/** What an output folder already holds. */
export interface OutDirState {
  /** `panda_adapter.json` (or an old run's `adapter_config.json`) and `manifest.json`: a run finished and was saved here. */
  finished: boolean;
  /** `checkpoint/checkpoint.json`: a run (finished or not) left its checkpoint here. */
  checkpoint: boolean;
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * Makes sure a run can be saved in `dir` before any training: creates it, writes and removes a
 * probe file (what a read-only or full disk, a missing permission or a path through a file fails
 * on), and says what the folder already holds.
 * @throws PandaError `IO_FAILED` naming the path and the reason (EACCES, EROFS, ENOTDIR, ENOSPC, ...).
 */
export async function prepareOutDir(dir: string): Promise<OutDirState> {
  const probe = join(dir, `.panda-write-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await writeFileAtomic(probe, 'panda checks that this folder is writable\n');
    await unlink(probe);
  } catch (err) {
    const reason = (isPandaError(err) ? err.details.reason : (err as { code?: unknown }).code) ?? 'UNKNOWN';
    const why = isPandaError(err) ? err.message.replace(/^cannot write \S+: /, '') : String(reason);
    throw new PandaError('IO_FAILED', `cannot write into the output folder ${dir}: ${why}`, { cause: err, details: { path: dir, reason } });
  }
  const config = runConfigPathSync(dir) !== undefined;
  const [manifest, checkpoint] = await Promise.all([exists(join(dir, RUN_MANIFEST_FILE)), exists(join(dir, CHECKPOINT_SUBDIR, 'checkpoint.json'))]);
  return { finished: config && manifest, checkpoint };
}
