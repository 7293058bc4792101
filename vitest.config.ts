import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@panda/source'] },
  ssr: { resolve: { conditions: ['@panda/source'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'experiments/**/*.test.ts'],
    // Tests that need ../shared/data live in *.data.test.ts and run from .ci/run only.
    exclude: ['**/node_modules/**', '**/*.data.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
