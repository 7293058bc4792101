import { existsSync, mkdirSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PromptBank } from './index.js';
import { adapterFolderName } from './adapters.js';
import { embeddingFor } from './testing/vectors.js';
import { tempDir } from './testing/tmp.js';

let tmp: ReturnType<typeof tempDir>;
let bank: PromptBank;
beforeEach(() => {
  tmp = tempDir();
  bank = PromptBank.open(join(tmp.dir, 'bank'));
});
afterEach(() => {
  bank.close();
  tmp.cleanup();
});

/** A folder shaped like the tuner's saveRun output. */
function runFolder(name: string, accuracy: number): string {
  const dir = join(tmp.dir, name);
  mkdirSync(join(dir, 'sub'), { recursive: true });
  writeFileSync(join(dir, 'adapter.safetensors'), Buffer.from([1, 2, 3, 4, accuracy * 100]));
  writeFileSync(join(dir, 'panda_adapter.json'), JSON.stringify({ method: 'prompt-tuning', promptLength: 16 }));
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ task: 'sst2', metrics: { accuracy } }));
  writeFileSync(join(dir, 'sub', 'note.txt'), 'nested');
  return dir;
}

const base = { task: 'sst2', model: 'm', method: 'prompt-tuning' };

describe('adapter folders', () => {
  it('are copied into the bank (original untouched), with manifest.json as the manifest', () => {
    const src = runFolder('run1', 0.8);
    const e = bank.add({ ...base, id: 'sst2/pt/s1', embedding: embeddingFor('a', 8), adapterDir: src });
    expect(e.adapterDir).not.toBeNull();
    const copy = e.adapterDir!;
    expect(dirname(copy)).toBe(join(bank.dir, 'adapters'));
    for (const f of ['adapter.safetensors', 'panda_adapter.json', 'manifest.json', 'sub/note.txt']) {
      expect(readFileSync(join(copy, f))).toEqual(readFileSync(join(src, f)));
    }
    expect(e.manifest).toEqual({ task: 'sst2', metrics: { accuracy: 0.8 } });
    expect(bank.get('sst2/pt/s1').adapterDir).toBe(copy);
    expect(existsSync(join(src, 'adapter.safetensors'))).toBe(true);
    // An explicit manifest wins over the file.
    const e2 = bank.add({ ...base, id: 'x', embedding: embeddingFor('b', 8), adapterDir: src, manifest: { mine: true } });
    expect(e2.manifest).toEqual({ mine: true });
  });

  it('replace swaps the folder and remove deletes it', () => {
    const e1 = bank.add({ ...base, id: 'sst2/pt/s1', embedding: embeddingFor('a', 8), adapterDir: runFolder('run1', 0.8) });
    const e2 = bank.replace({ ...base, id: 'sst2/pt/s1', embedding: embeddingFor('a', 8), adapterDir: runFolder('run2', 0.9) });
    expect(e2.adapterDir).not.toBe(e1.adapterDir);
    expect(existsSync(e1.adapterDir!)).toBe(false);
    expect(JSON.parse(readFileSync(join(e2.adapterDir!, 'manifest.json'), 'utf8')).metrics.accuracy).toBe(0.9);
    bank.remove('sst2/pt/s1');
    expect(existsSync(e2.adapterDir!)).toBe(false);
    expect(readdirSync(join(bank.dir, 'adapters'))).toEqual([]);
  });

  it('a failed add leaves no folder behind', () => {
    bank.add({ ...base, id: 'dup', embedding: embeddingFor('a', 8) });
    expect(() => bank.add({ ...base, id: 'dup', embedding: embeddingFor('a', 8), adapterDir: runFolder('run1', 0.8) })).toThrow(/already exists/);
    expect(() => bank.add({ ...base, id: 'wide', embedding: embeddingFor('a', 9), adapterDir: runFolder('run2', 0.8) })).toThrow(/width/);
    expect(readdirSync(join(bank.dir, 'adapters'))).toEqual([]);
  });

  it('folder names cannot escape the bank, whatever the id', () => {
    for (const id of ['a/b/c', 'x..y', '.hidden', 'ü/ß/日本', 'a b%2F', 'a'.repeat(256)]) {
      const name = adapterFolderName(id);
      expect(name).toMatch(/^[A-Za-z0-9_%-]+$/);
      expect(name.length).toBeLessThanOrEqual(96 + 1 + 12 + 1 + 8);
      expect(relative(join(bank.dir, 'adapters'), join(bank.dir, 'adapters', name))).toBe(name);
    }
    expect(adapterFolderName('a/b')).not.toBe(adapterFolderName('a/b')); // random suffix: a replace never collides
    const e = bank.add({ ...base, id: 'ü/..x/a b/%2E%2E', embedding: embeddingFor('a', 8), adapterDir: runFolder('run1', 0.5) });
    expect(dirname(e.adapterDir!)).toBe(join(bank.dir, 'adapters'));
  });

  it('crash leftovers older than the grace period are removed on open; referenced ones stay', () => {
    const kept = bank.add({ ...base, id: 'keep', embedding: embeddingFor('a', 8), adapterDir: runFolder('run1', 0.5) });
    bank.close();
    const orphan = join(bank.dir, 'adapters', 'orphan-123');
    const tmpCopy = join(bank.dir, 'adapters', '.tmp-half');
    const staleIndex = join(bank.dir, 'index', 'm1-old.hnsw');
    mkdirSync(orphan);
    mkdirSync(tmpCopy);
    writeFileSync(staleIndex, 'x');
    // Young leftovers survive (another process may be about to commit them).
    bank = PromptBank.open(bank.dir, { orphanGraceMs: 60_000 });
    bank.close();
    expect([existsSync(orphan), existsSync(tmpCopy), existsSync(staleIndex)]).toEqual([true, true, true]);
    const old = new Date(Date.now() - 120_000);
    for (const p of [orphan, tmpCopy, staleIndex]) utimesSync(p, old, old);
    bank = PromptBank.open(bank.dir, { orphanGraceMs: 60_000 });
    expect([existsSync(orphan), existsSync(tmpCopy), existsSync(staleIndex)]).toEqual([false, false, false]);
    expect(existsSync(kept.adapterDir!)).toBe(true);
    expect(readdirSync(join(bank.dir, 'index'))).toHaveLength(1);
  });
});
