import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmod, lstat, mkdtemp, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { isPandaError, type PandaError } from '@panda/core';
import { writeFileAtomic } from './writeFileAtomic.js';
import { initBackend } from '../backend/initBackend.js';
import { saveSafetensors } from '../safetensors/tensorsIo.js';

async function failure(p: Promise<unknown>): Promise<PandaError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isPandaError(err)) throw new Error(`expected a PandaError, got ${String(err)}`);
  return err;
}

/**
 * A folder this process cannot write into. `chmod 0o555` stops a normal user; root (tests in
 * containers often run as root) ignores permissions, so there a path under a regular file is used,
 * which fails for everyone (ENOTDIR).
 */
async function unwritableFolder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'panda-ro-'));
  if (process.getuid?.() === 0) {
    await writeFile(join(dir, 'file'), 'not a folder');
    return join(dir, 'file', 'out');
  }
  await chmod(dir, 0o555);
  return dir;
}

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

describe('writeFileAtomic failures', () => {
  it('a full disk (ENOSPC, through a link to /dev/full) is IO_FAILED naming the path and the reason; nothing is left behind', async () => {
    // A link, not /dev/full itself: a writer that renames a temp file over its target then replaces
    // the link (harmless), never the device node.
    const dir = await mkdtemp(join(tmpdir(), 'panda-full-'));
    const full = join(dir, 'full');
    await symlink('/dev/full', full);
    const err = await failure(writeFileAtomic(full, 'x'.repeat(10_000)));
    expect(err.code).toBe('IO_FAILED');
    expect(err.message).toContain(full);
    expect(err.message).toContain('ENOSPC');
    expect(err.details).toMatchObject({ path: full, reason: 'ENOSPC' });
    expect((await lstat(full)).isSymbolicLink()).toBe(true);
    expect((await stat(full)).isCharacterDevice()).toBe(true);
    expect(await readdir(dir)).toEqual(['full']);
  });

  it('an unwritable folder is IO_FAILED with the reason (EACCES, or ENOTDIR as root)', async () => {
    const dir = await unwritableFolder();
    const err = await failure(writeFileAtomic(join(dir, 'adapter_config.json'), '{}'));
    expect(err.code).toBe('IO_FAILED');
    expect(err.message).toContain(join(dir, 'adapter_config.json'));
    expect(['EACCES', 'ENOTDIR']).toContain(err.details.reason);
    const tensors = await failure(saveSafetensors(join(dir, 'adapter.safetensors'), { w: tf.ones([3]) }));
    expect(tensors.code).toBe('IO_FAILED');
    expect(tensors.message).toContain(join(dir, 'adapter.safetensors'));
  });

  it('a write cut short (file size limit: EFBIG) throws IO_FAILED and leaves no temp file; the old file is intact', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'panda-efbig-'));
    const target = join(dir, 'ckpt.safetensors');
    await writeFile(target, 'old content');
    // A child process under `ulimit -f` (1 KiB blocks): writes past 64 KiB fail with EFBIG (Node
    // ignores SIGXFSZ), the way a disk filling up cuts a write short.
    const script = join(dir, 'write.mts');
    const writer = pathToFileURL(fileURLToPath(new URL('./writeFileAtomic.ts', import.meta.url))).href;
    await writeFile(
      script,
      [
        `const { writeFileAtomic } = await import(${JSON.stringify(writer)});`,
        `try { await writeFileAtomic(${JSON.stringify(target)}, new Uint8Array(400_000)); console.log(JSON.stringify({ ok: true })); }`,
        `catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message, details: e.details })); }`,
      ].join('\n'),
    );
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const r = spawnSync('bash', ['-c', `ulimit -f 64 && exec "${process.execPath}" --conditions=@panda/source --import ${tsx} "${script}"`], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(out.code).toBe('IO_FAILED');
    expect(out.message).toContain(target);
    expect(out.details.reason).toBe('EFBIG');
    expect((await readdir(dir)).sort()).toEqual(['ckpt.safetensors', 'write.mts']);
    expect(await readFile(target, 'utf8')).toBe('old content');
  });

  it('still writes normally (and replaces the old content)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'panda-ok-'));
    await saveSafetensors(join(dir, 'a.safetensors'), { w: tf.ones([3]) });
    await writeFileAtomic(join(dir, 'x.json'), 'one');
    await writeFileAtomic(join(dir, 'x.json'), 'two');
    expect(await readFile(join(dir, 'x.json'), 'utf8')).toBe('two');
    expect((await readdir(dir)).sort()).toEqual(['a.safetensors', 'x.json']);
  });
});
