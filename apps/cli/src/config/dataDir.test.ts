import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DATA_DIR_ENV, resolveDataDir } from '@panda/datasets';
import { cliDataDir, isDevelopmentMode, workspaceDataDir } from './dataDir.js';

// This repository's root (apps/cli/src/config → four levels up) and the development data folder beside it.
const REPO = resolve(fileURLToPath(new URL('../../../../', import.meta.url)));
const SHARED = resolve(REPO, '..', 'shared', 'data');

describe('the CLI data directory (../shared/data only in development mode)', () => {
  let saved: string | undefined;
  let elsewhere: string;
  beforeEach(() => {
    saved = process.env[DATA_DIR_ENV];
    delete process.env[DATA_DIR_ENV];
    elsewhere = mkdtempSync(join(tmpdir(), 'panda-cli-datadir-'));
  });
  afterEach(() => {
    if (saved === undefined) delete process.env[DATA_DIR_ENV];
    else process.env[DATA_DIR_ENV] = saved;
    rmSync(elsewhere, { recursive: true, force: true });
  });

  it('knows development mode from running the TypeScript sources (tests and bin/panda.js in the workspace do)', () => {
    expect(isDevelopmentMode()).toBe(true);
    expect(isDevelopmentMode('file:///repo/apps/cli/src/config/dataDir.ts')).toBe(true);
    expect(isDevelopmentMode('file:///usr/lib/node_modules/@panda/cli/dist/config/dataDir.js')).toBe(false);
  });

  it('finds ../shared/data beside the workspace from the sources, whatever the working directory', () => {
    expect(workspaceDataDir()).toBe(SHARED);
    expect(workspaceDataDir(elsewhere)).toBeUndefined();
  });

  it('in development mode, without the flag and $PANDA_DATA_DIR, passes ../shared/data to the libraries', () => {
    expect(cliDataDir(undefined, true)).toBe(SHARED);
    // ... even from a working directory outside the workspace.
    expect(resolveDataDir(cliDataDir(undefined, true), elsewhere)).toBe(SHARED);
  });

  it('the flag wins, $PANDA_DATA_DIR is left to the libraries, and the built CLI guesses nothing', () => {
    expect(cliDataDir('mine', true)).toBe('mine');
    expect(cliDataDir('mine', false)).toBe('mine');
    expect(cliDataDir(undefined, false)).toBeUndefined();
    expect(resolveDataDir(cliDataDir(undefined, false), elsewhere)).toBe(join(elsewhere, 'data'));
    process.env[DATA_DIR_ENV] = '/from/env';
    expect(cliDataDir(undefined, true)).toBeUndefined();
    expect(resolveDataDir(cliDataDir(undefined, true), elsewhere)).toBe('/from/env');
  });
});
