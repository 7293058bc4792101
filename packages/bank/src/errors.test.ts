import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PandaError, type ErrorCode } from '@panda/core';
import { PromptBank, isEntryExists, type BankEntryInput } from './index.js';
import { embeddingFor } from './testing/vectors.js';
import { tempDir } from './testing/tmp.js';

const MODEL = 'use-lite';

function entry(id: string, dim = 8, extra: Partial<BankEntryInput> = {}): BankEntryInput {
  return { id, task: 'sst2', model: MODEL, method: 'prompt-tuning', embedding: embeddingFor(id, dim), ...extra };
}

/** The PandaError `fn` throws (fails the test when it throws something else or nothing). */
function caught(fn: () => unknown, code: ErrorCode): PandaError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PandaError);
    expect((err as PandaError).code).toBe(code);
    return err as PandaError;
  }
  throw new Error(`expected ${code}, nothing was thrown`);
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

describe('typed errors', () => {
  it('BANK_EMPTY: query on an empty bank, and once every entry is removed', () => {
    const e = caught(() => bank.query(embeddingFor('q', 8), { model: MODEL }), 'BANK_EMPTY');
    expect(e.message).toMatch(/no entries/);
    bank.add(entry('a'));
    bank.remove('a');
    caught(() => bank.query(embeddingFor('q', 8), { model: MODEL }), 'BANK_EMPTY');
    caught(() => bank.query(embeddingFor('q', 8), { model: MODEL, exact: true }), 'BANK_EMPTY');
  });

  it('MODEL_MISMATCH: query for a model the bank has no entries of, naming the models it has', () => {
    bank.add(entry('a'));
    bank.add({ ...entry('b', 4), model: 'bert-base' });
    const e = caught(() => bank.query(embeddingFor('q', 8), { model: 'roberta' }), 'MODEL_MISMATCH');
    expect(e.message).toContain('"use-lite" (8-d, 1 entries)');
    expect(e.message).toContain('"bert-base" (4-d, 1 entries)');
    expect(e.details['models']).toHaveLength(2);
  });

  it('DIMENSION_MISMATCH: add and query with the wrong width', () => {
    bank.add(entry('a', 8));
    const e = caught(() => bank.add(entry('b', 9)), 'DIMENSION_MISMATCH');
    expect(e.details).toMatchObject({ model: MODEL, expected: 8, actual: 9 });
    caught(() => bank.replace(entry('a', 7)), 'DIMENSION_MISMATCH');
    caught(() => bank.query(embeddingFor('q', 512), { model: MODEL }), 'DIMENSION_MISMATCH');
    caught(() => bank.query([], { model: MODEL }), 'DIMENSION_MISMATCH');
    // Nothing half-written.
    expect(bank.list().map((x) => x.id)).toEqual(['a']);
    // The width is fixed by the model's entries: once they are all gone, the next entry sets it.
    bank.remove('a');
    bank.add(entry('c', 16));
    caught(() => bank.add(entry('d', 8)), 'DIMENSION_MISMATCH');
  });

  it('ENTRY_UNKNOWN: get and remove of an unknown id', () => {
    caught(() => bank.get('nope'), 'ENTRY_UNKNOWN');
    caught(() => bank.remove('nope'), 'ENTRY_UNKNOWN');
  });

  it('existing id on add: CONFIG_INVALID with reason ENTRY_EXISTS', () => {
    bank.add(entry('a'));
    const e = caught(() => bank.add(entry('a')), 'CONFIG_INVALID');
    expect(isEntryExists(e)).toBe(true);
    expect(isEntryExists(new PandaError('CONFIG_INVALID', 'x'))).toBe(false);
  });

  it('TASK_UNKNOWN: forTask with no entry for the task, listing the known tasks', () => {
    bank.add(entry('a'));
    const e = caught(() => bank.forTask('rte'), 'TASK_UNKNOWN');
    expect(e.message).toContain('sst2');
    caught(() => bank.forTask('sst2', { model: 'other' }), 'TASK_UNKNOWN');
    expect(bank.forTask('sst2')).toHaveLength(1);
  });

  it.each([
    ['empty', ''],
    ['parent segment', '../evil'],
    ['inner parent segment', 'a/../../b'],
    ['dot segment', './a'],
    ['absolute', '/etc/passwd'],
    ['empty segment', 'a//b'],
    ['trailing slash', 'a/'],
    ['backslash', 'a\\..\\b'],
    ['control character', 'a\u0000b'],
    ['newline', 'a\nb'],
    ['surrounding space', ' a'],
    ['too long', 'x'.repeat(257)],
  ])('CONFIG_INVALID: bad id (%s)', (_what, id) => {
    const e = caught(() => bank.add(entry(id)), 'CONFIG_INVALID');
    expect(e.details['issues']).toBeDefined();
    caught(() => bank.get(id), 'CONFIG_INVALID');
  });

  it('CONFIG_INVALID: bad fields, embeddings and options', () => {
    caught(() => bank.add({ ...entry('a'), task: '' }), 'CONFIG_INVALID');
    caught(() => bank.add({ ...entry('a'), model: 'm\t' }), 'CONFIG_INVALID');
    caught(() => bank.add({ ...entry('a'), embedding: [1, Number.NaN, 0] }), 'CONFIG_INVALID');
    caught(() => bank.add({ ...entry('a'), embedding: [0, 0, 0] }), 'CONFIG_INVALID');
    caught(() => bank.add({ ...entry('a'), embedding: 'x' as unknown as number[] }), 'CONFIG_INVALID');
    caught(() => bank.add({ ...entry('a'), metrics: { acc: Number.POSITIVE_INFINITY } }), 'CONFIG_INVALID');
    caught(() => bank.add({ ...entry('a'), extra: 1 } as unknown as BankEntryInput), 'CONFIG_INVALID');
    caught(() => bank.add({ ...entry('a'), adapterDir: join(tmp.dir, 'missing') }), 'CONFIG_INVALID');
    bank.add(entry('a'));
    caught(() => bank.query(embeddingFor('q', 8), { model: MODEL, k: 0 }), 'CONFIG_INVALID');
    caught(() => bank.query(embeddingFor('q', 8), { model: MODEL, k: 1.5 }), 'CONFIG_INVALID');
    caught(() => bank.query(embeddingFor('q', 8), { model: '' }), 'CONFIG_INVALID');
    caught(() => bank.query([Number.NaN, 0, 0, 0, 0, 0, 0, 0], { model: MODEL }), 'CONFIG_INVALID');
    caught(() => PromptBank.open(join(tmp.dir, 'b2'), { efSearch: 0 }), 'CONFIG_INVALID');
    caught(() => PromptBank.open(join(tmp.dir, 'b2'), { rebuildRatio: 2 }), 'CONFIG_INVALID');
    expect(bank.size()).toBe(1);
  });

  it('CONFIG_INVALID: a closed bank, a bank path that is a file', () => {
    const other = PromptBank.open(join(tmp.dir, 'closed'));
    other.close();
    other.close();
    caught(() => other.list(), 'CONFIG_INVALID');
    const file = join(tmp.dir, 'file');
    writeFileSync(file, 'x');
    caught(() => PromptBank.open(file), 'CONFIG_INVALID');
  });

  it('BANK_CORRUPT: a database file that is not a bank', () => {
    const dir = join(tmp.dir, 'corrupt');
    mkdirSync(dir);
    writeFileSync(join(dir, 'bank.sqlite'), 'this is not an sqlite database, just text long enough to be read as a header.'.repeat(20));
    caught(() => PromptBank.open(dir), 'BANK_CORRUPT');
  });
});
