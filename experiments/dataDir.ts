import { fileURLToPath } from 'node:url';
import { resolveDataDir } from '@panda/datasets';

/**
 * The data directory of the experiments: $PANDA_DATA_DIR, else `../shared/data` beside this
 * repository (the development layout; the libraries themselves never guess it).
 */
export function experimentDataDir(): string {
  return resolveDataDir(process.env.PANDA_DATA_DIR ? undefined : fileURLToPath(new URL('../../shared/data', import.meta.url)));
}
