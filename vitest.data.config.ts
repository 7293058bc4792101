import { defineConfig } from 'vitest/config';

/** Tests over ../shared/data (real benchmark files); run from .ci/run, not by the README's test command. */
export default defineConfig({
  resolve: { conditions: ['@panda/source'] },
  ssr: { resolve: { conditions: ['@panda/source'] } },
  test: {
    include: ['packages/*/src/**/*.data.test.ts', 'apps/*/src/**/*.data.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
  },
});
