import { resolve } from 'node:path';

/** Environment variable naming the data directory (laid out as `glue/SST-2/train.tsv`, ...). */
export const DATA_DIR_ENV = 'PANDA_DATA_DIR';

/** The folder used when neither the option nor the environment names one (relative to `cwd`). */
export const DEFAULT_DATA_DIR = 'data';

/**
 * The data directory: the explicit option, else `$PANDA_DATA_DIR`, else `./data` (each resolved
 * against `cwd`). Nothing else is guessed: a library never looks at the folders around the working
 * directory. Apps with a development layout (the CLI run from the workspace sources) pass that
 * folder as the explicit option.
 */
export function resolveDataDir(explicit?: string, cwd = process.cwd()): string {
  if (explicit) return resolve(cwd, explicit);
  const env = process.env[DATA_DIR_ENV];
  if (env) return resolve(cwd, env);
  return resolve(cwd, DEFAULT_DATA_DIR);
}

/** The sentence missing-file errors end with: which directory was searched and how to set it. */
export function dataDirHint(dataDir: string): string {
  const env = process.env[DATA_DIR_ENV];
  const from = env && resolve(env) === resolve(dataDir) ? ` (from $${DATA_DIR_ENV})` : '';
  return `the data directory is ${dataDir}${from}; set it with the dataDir option (the CLI's --data-dir) or $${DATA_DIR_ENV}`;
}
