import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getTask } from './builtinTasks.js';
import { DATA_DIR_ENV, dataDirHint, resolveDataDir } from './dataDir.js';

describe('resolveDataDir (the libraries take the data directory from the option or $PANDA_DATA_DIR only)', () => {
  let saved: string | undefined;
  let root: string;
  beforeEach(() => {
    saved = process.env[DATA_DIR_ENV];
    delete process.env[DATA_DIR_ENV];
    root = mkdtempSync(join(tmpdir(), 'panda-datadir-'));
  });
  afterEach(() => {
    if (saved === undefined) delete process.env[DATA_DIR_ENV];
    else process.env[DATA_DIR_ENV] = saved;
    rmSync(root, { recursive: true, force: true });
  });

  it('takes the option first, then $PANDA_DATA_DIR, then ./data, each relative to cwd', () => {
    process.env[DATA_DIR_ENV] = 'from-env';
    expect(resolveDataDir('mine', '/w')).toBe(resolve('/w/mine'));
    expect(resolveDataDir('/abs/data', '/w')).toBe('/abs/data');
    expect(resolveDataDir(undefined, '/w')).toBe(resolve('/w/from-env'));
    delete process.env[DATA_DIR_ENV];
    expect(resolveDataDir(undefined, '/w')).toBe(resolve('/w/data'));
  });

  it('does not pick ../shared/data beside a pnpm workspace (a monorepo layout is no library default)', () => {
    // A workspace with a sibling shared/data that holds a task's files, and a folder inside it.
    const repo = join(root, 'repo');
    mkdirSync(join(repo, 'packages', 'x'), { recursive: true });
    writeFileSync(join(repo, 'pnpm-workspace.yaml'), 'packages: [packages/*]\n');
    mkdirSync(join(root, 'shared', 'data', 'glue', 'SST-2'), { recursive: true });
    const inside = join(repo, 'packages', 'x');
    expect(resolveDataDir(undefined, inside)).toBe(join(inside, 'data'));
    expect(resolveDataDir(undefined, repo)).toBe(join(repo, 'data'));
    expect(resolveDataDir(undefined, inside)).not.toBe(join(root, 'shared', 'data'));
  });

  it('a task whose files are missing says which data directory it searched and both ways to set it', async () => {
    const dataDir = resolveDataDir(undefined, root);
    await expect(getTask('sst2').load('dev', { dataDir })).rejects.toMatchObject({
      code: 'DATA_FILE_MISSING',
      message: `data file not found: ${join(root, 'data', 'glue', 'SST-2', 'dev.tsv')}; the data directory is ${join(root, 'data')}; set it with the dataDir option (the CLI's --data-dir) or $PANDA_DATA_DIR`,
    });
    process.env[DATA_DIR_ENV] = join(root, 'env-data');
    expect(dataDirHint(resolveDataDir())).toBe(`the data directory is ${join(root, 'env-data')} (from $PANDA_DATA_DIR); set it with the dataDir option (the CLI's --data-dir) or $PANDA_DATA_DIR`);
  });
});
