import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DATA_DIR_ENV } from '@panda/datasets';

/**
 * True when the CLI runs from the workspace's TypeScript sources (bin/panda.js through tsx, or a
 * test), false when it runs the built dist/ (PANDA_USE_DIST=1, or the published package).
 */
export function isDevelopmentMode(moduleUrl: string = import.meta.url): boolean {
  return moduleUrl.endsWith('.ts');
}

/**
 * The development layout's data directory: `../shared/data` beside the pnpm workspace that holds
 * the CLI's sources (found from the sources' own location, not from the working directory).
 * Undefined when no workspace is found above `from`.
 */
export function workspaceDataDir(from: string = dirname(fileURLToPath(import.meta.url))): string | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return resolve(dir, '..', 'shared', 'data');
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * The data directory a command passes to the libraries: the flag (or config key); else, when
 * $PANDA_DATA_DIR is unset and the CLI runs from the workspace sources, `../shared/data` beside
 * the workspace; else undefined, so the libraries' own rule applies ($PANDA_DATA_DIR, else ./data).
 * The published CLI never guesses a folder.
 */
export function cliDataDir(flag: string | undefined, dev: boolean = isDevelopmentMode()): string | undefined {
  if (flag) return flag;
  if (process.env[DATA_DIR_ENV] || !dev) return undefined;
  return workspaceDataDir();
}

/** `{ dataDir }` for a command's options when {@link cliDataDir} names one, else `{}`. */
export function dataDirOption(flag: string | undefined): { dataDir?: string } {
  const dataDir = cliDataDir(flag);
  return dataDir ? { dataDir } : {};
}

/** How the default is described in help texts. */
export const DATA_DIR_DEFAULT_HELP = 'default: $PANDA_DATA_DIR, else ./data; run from the workspace sources: ../shared/data beside the workspace';

/** Help text of `--data-dir`. */
export const DATA_DIR_HELP = `data directory of the benchmark tasks (${DATA_DIR_DEFAULT_HELP})`;
