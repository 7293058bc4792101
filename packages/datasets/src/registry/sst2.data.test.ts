import { describe, expect, it } from 'vitest';
import { sst2Task } from './builtinTasks.js';
import { resolveDataDir } from './dataDir.js';

// Needs ../shared/data (run from .ci/run with the data config).
describe('SST-2 from the data directory', () => {
  it('loads the row counts the data README states', async () => {
    const ctx = { dataDir: resolveDataDir() };
    const counts = await Promise.all((['train', 'dev', 'test'] as const).map(async (s) => (await sst2Task.load(s, ctx)).examples.length));
    expect(counts).toEqual([60614, 6735, 872]);
    const test = (await sst2Task.load('test', ctx)).examples;
    expect(test.filter((e) => e.label === 1).length).toBe(444); // GLUE dev: 444 positive, 428 negative
  });
});
