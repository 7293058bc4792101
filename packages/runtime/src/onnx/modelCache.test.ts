import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachedModel, onnxCacheDir } from './modelCache.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'panda-onnx-cache-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the generated-model cache', () => {
  it('generates a model once per key and then serves the file', async () => {
    let calls = 0;
    const gen = () => (calls++, new Uint8Array([1, 2, 3]));
    const first = await cachedModel('use-lite-1-abc-true/false', gen, dir);
    const second = await cachedModel('use-lite-1-abc-true/false', gen, dir);
    expect(calls).toBe(1);
    expect(first).toBe(second);
    expect(typeof first).toBe('string');
    expect([...(await readFile(first as string))]).toEqual([1, 2, 3]);
    expect(first as string).not.toContain('/false'); // the key is made a file name
    await cachedModel('another', gen, dir);
    expect(calls).toBe(2);
  });

  it('falls back to the bytes when the cache cannot be written', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, 'x');
    const out = await cachedModel('k', () => new Uint8Array([7]), join(file, 'sub'));
    expect(out).toEqual(new Uint8Array([7]));
  });

  it('lives under $PANDA_CACHE_DIR when set', () => {
    expect(onnxCacheDir({ PANDA_CACHE_DIR: '/x/y' })).toBe('/x/y/onnx');
  });
});
