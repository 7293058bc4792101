import { statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PandaError, type ErrorCode } from '@panda/core';
import { PromptBank, type BankEntryInput } from './index.js';
import { embeddingFor } from './testing/vectors.js';
import { tempDir } from './testing/tmp.js';

const MODEL = 'use-lite';

function entry(id: string, dim: number): BankEntryInput {
  return { id, task: id.split('/')[0]!, model: MODEL, method: 'prompt-tuning', embedding: embeddingFor(id, dim) };
}

function codeOf(fn: () => unknown): ErrorCode | 'none' {
  try {
    fn();
  } catch (err) {
    if (err instanceof PandaError) return err.code;
    throw err;
  }
  return 'none';
}

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

describe("a model's embedding width", () => {
  it('is fixed while the model has entries, and resets once its last entry is removed', () => {
    const bank = PromptBank.open(join(tmp.dir, 'bank'));
    try {
      bank.add(entry('poison/a', 2));
      expect(codeOf(() => bank.add(entry('real/a', 16)))).toBe('DIMENSION_MISMATCH');
      bank.remove('poison/a');
      // No entry left: the next entry's width is the model's width now.
      bank.add(entry('real/a', 16));
      bank.add(entry('real/b', 16));
      expect(bank.models()).toEqual([{ model: MODEL, dim: 16, entries: 2 }]);
      expect(codeOf(() => bank.add(entry('poison/b', 2)))).toBe('DIMENSION_MISMATCH');
      expect(bank.query(embeddingFor('real/b', 16), { model: MODEL, k: 1 })[0]!.entry.id).toBe('real/b');
      expect(bank.query(embeddingFor('real/b', 16), { model: MODEL, k: 1, exact: true })[0]!.entry.id).toBe('real/b');
      expect(bank.verify().ok).toBe(true);
    } finally {
      bank.close();
    }
  });

  it('resets for a second process that holds the old index in memory, and over a saved index file of the old width', () => {
    const dir = join(tmp.dir, 'bank');
    const a = PromptBank.open(dir);
    const b = PromptBank.open(dir);
    try {
      a.add(entry('poison/a', 2));
      // b loads (and a saved) an index of width 2.
      expect(b.query(embeddingFor('poison/a', 2), { model: MODEL, k: 1 })[0]!.entry.id).toBe('poison/a');
      a.remove('poison/a');
      a.add(entry('real/a', 16));
      expect(b.query(embeddingFor('real/a', 16), { model: MODEL, k: 1 })[0]!.entry.id).toBe('real/a');
      b.add(entry('real/b', 16));
      expect(a.query(embeddingFor('real/b', 16), { model: MODEL, k: 1 })[0]!.entry.id).toBe('real/b');
    } finally {
      a.close();
      b.close();
    }
    const reopened = PromptBank.open(dir);
    try {
      expect(reopened.query(embeddingFor('real/a', 16), { model: MODEL, k: 1 })[0]!.entry.id).toBe('real/a');
      expect(reopened.verify().ok).toBe(true);
      expect(reopened.stats()[0]).toMatchObject({ model: MODEL, dim: 16, entries: 2 });
    } finally {
      reopened.close();
    }
  });
});

describe('the bank database file', () => {
  it('BANK_CORRUPT: a 0-byte bank.sqlite is a damaged bank, not an empty one (and is left as it is)', () => {
    const dir = join(tmp.dir, 'zero');
    mkdirSync(dir);
    writeFileSync(join(dir, 'bank.sqlite'), '');
    expect(codeOf(() => PromptBank.open(dir).close())).toBe('BANK_CORRUPT');
    expect(statSync(join(dir, 'bank.sqlite')).size).toBe(0);
  });

  it('a new bank never leaves a 0-byte database behind, and opens again', () => {
    const dir = join(tmp.dir, 'fresh');
    PromptBank.open(dir).close();
    expect(statSync(join(dir, 'bank.sqlite')).size).toBeGreaterThan(0);
    const again = PromptBank.open(dir);
    expect(again.size()).toBe(0);
    again.close();
  });
});

describe('leftovers of a crashed creation', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  it('are removed on open when their process is gone; a live creation is left alone', () => {
    const dir = join(tmp.dir, 'bank');
    mkdirSync(dir, { recursive: true });
    // pid 2^22 + 1 is above Linux's pid_max default: no such process.
    const dead = join(dir, `bank.sqlite.new-${2 ** 22 + 1}-abcd1234`);
    const live = join(dir, `bank.sqlite.new-${process.pid}-ffff0000`);
    for (const f of [dead, `${dead}-wal`, live]) writeFileSync(f, 'x');
    PromptBank.open(dir).close();
    expect(() => statSync(dead)).toThrow();
    expect(() => statSync(`${dead}-wal`)).toThrow();
    expect(statSync(live).isFile()).toBe(true);
  });
});
