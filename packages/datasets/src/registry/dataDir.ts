import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** Environment variable naming the data directory (the layout of `../shared/data`). */
export const DATA_DIR_ENV = 'PANDA_DATA_DIR';

/**
 * The data directory: the explicit option, else $PANDA_DATA_DIR, else `../shared/data` beside the
 * repository that contains the working directory (the development layout), else `./data`.
 */
export function resolveDataDir(explicit?: string, cwd = process.cwd()): string {
  if (explicit) return resolve(cwd, explicit);
  const env = process.env[DATA_DIR_ENV];
  if (env) return resolve(cwd, env);
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return resolve(dir, '..', 'shared', 'data');
    if (dirname(dir) === dir) break;
  }
  return resolve(cwd, 'data');
}
