import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The development layout: the benchmark files in ../shared/data beside the repository, unless
// $PANDA_DATA_DIR names them (.ci/run sets it). The libraries never guess this folder themselves.
const dataDir = process.env.PANDA_DATA_DIR || fileURLToPath(new URL('../shared/data', import.meta.url));

/** Tests over the real benchmark files; run from .ci/run, not by the README's test command. */
export default defineConfig({
  resolve: { conditions: ['@panda/source'] },
  ssr: { resolve: { conditions: ['@panda/source'] } },
  test: {
    include: ['packages/*/src/**/*.data.test.ts', 'apps/*/src/**/*.data.test.ts'],
    env: { PANDA_DATA_DIR: dataDir },
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
  },
});
