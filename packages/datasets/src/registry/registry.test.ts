import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { tmpDir, writeAt } from '../testing/tmpFiles.js';
import type { Example } from '../types.js';
import { allTasks, getTask, taskNames } from './builtinTasks.js';
import { carvedTask, type FileReader } from './define.js';
import { clearLoadCache } from './loadCache.js';

const TEMPLATE_FAMILIES = ['single', 'pair', 'choice', 'span', 'qa'];

describe('task registry', () => {
  it('lists every benchmark task with a label space, metrics, template family and files', () => {
    expect(taskNames()).toEqual([
      'spam', 'sst2', 'afinn', 'cola', 'mrpc', 'stsb', 'rte', 'qnli', 'qqp', 'cb', 'copa', 'superglue-rte', 'wic', 'wsc', 'boolq', 'multirc', 'imdb', 'sst5', 'mr', 'agnews',
    ]);
    for (const task of allTasks()) {
      expect(task.name).toMatch(/^[a-z0-9-]+$/);
      expect(task.splits).toContain('train');
      expect(task.splits).toContain('dev');
      expect(task.metrics?.[0]).toBe(task.metric);
      expect(TEMPLATE_FAMILIES).toContain(task.template);
      if (task.type === 'regression') expect(task.labels).toEqual([]);
      else expect(task.labels.length).toBeGreaterThanOrEqual(2);
      if (!task.builtin) for (const s of task.splits) expect(task.files?.[s]?.length, `${task.name} ${s}`).toBeGreaterThan(0);
    }
    expect(getTask('MRPC').name).toBe('mrpc');
    expect(getTask('stsb').type).toBe('regression');
    expect(getTask('copa').type).toBe('choice');
    expect(getTask('mrpc').carved).toEqual({ from: ['glue/MRPC/msr_paraphrase_train.txt'], dev: 408, seed: 'mrpc' });
  });

  it('names the missing file, the data directory and how to set it when the data directory lacks it', async () => {
    const hint = "the data directory is /nowhere; set it with the dataDir option (the CLI's --data-dir) or $PANDA_DATA_DIR";
    await expect(getTask('cola').load('train', { dataDir: '/nowhere' })).rejects.toMatchObject({
      code: 'DATA_FILE_MISSING',
      message: `data file not found: /nowhere/glue/CoLA/in_domain_train.tsv; ${hint}`,
      details: { file: '/nowhere/glue/CoLA/in_domain_train.tsv', dataDir: '/nowhere' },
    });
    // A carved split (MRPC's dev is carved from its train file) says the same.
    await expect(getTask('mrpc').load('dev', { dataDir: '/nowhere' })).rejects.toMatchObject({ code: 'DATA_FILE_MISSING', message: `data file not found: /nowhere/glue/MRPC/msr_paraphrase_train.txt; ${hint}` });
    await expect(getTask('cola').load('test', { dataDir: '/nowhere' })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: "task 'cola' has no test split (it has: train, dev)" });
  });

  it('loads the built-in AFINN word-polarity task from its npm package', async () => {
    const task = getTask('afinn');
    const splits = await Promise.all(task.splits.map(async (s) => (await task.load(s, { dataDir: '/unused' })).examples));
    const positives = splits.map((xs) => xs.filter((e) => e.label === 1).length);
    expect([splits.map((xs) => xs.length), positives]).toEqual([
      [1726, 250, 500],
      [612, 89, 177],
    ]);
    console.log(`afinn train/dev/test: ${splits.map((xs, i) => `${xs.length} (negative ${xs.length - positives[i]!}, positive ${positives[i]})`).join(' / ')}`);
    const train = (await task.load('train', { dataDir: '/unused' })).examples;
    expect(train.every((e) => (e.label === 1) === Number(e.fields!['valence']) > 0)).toBe(true);
  });
});

describe('carved splits', () => {
  it('parse the source file once for train and dev, apply limit after carving, and report skips with train', async () => {
    clearLoadCache();
    let reads = 0;
    const rows: Example[] = Array.from({ length: 100 }, (_, i) => ({ id: `f:${i + 1}`, text: `t${i}`, label: i % 2 }));
    const read: FileReader = async (_file, _id, options) => {
      reads++;
      options.onSkip?.({ file: 'f', line: 101, reason: 'bad' });
      return { examples: rows, skipped: 1, source: 'f' };
    };
    const task = carvedTask({ name: 'toy', description: '', type: 'single', labels: ['a', 'b'], metric: 'accuracy' }, { from: 'toy/f.tsv', read, dev: 20, seed: 'toy' });
    const ctx = { dataDir: '/d' };
    const skips: number[] = [];
    const train = await task.load('train', { ...ctx, onSkip: (s) => skips.push(s.line) });
    const dev = await task.load('dev', ctx);
    const devAgain = await task.load('dev', { ...ctx, limit: 5 });
    expect(reads).toBe(1);
    expect([train.examples.length, dev.examples.length, devAgain.examples.length]).toEqual([80, 20, 5]);
    expect([train.skipped, dev.skipped, skips]).toEqual([1, 0, [101]]);
    expect(devAgain.examples.map((e) => e.id)).toEqual(dev.examples.slice(0, 5).map((e) => e.id));
    expect(new Set([...train.examples, ...dev.examples].map((e) => e.id)).size).toBe(100);
  });
});

describe('benchmark adapters on a synthetic data directory', () => {
  it('MRPC: BOM header, seeded 408-row dev carved from train, test file as is', async () => {
    clearLoadCache();
    const dir = await tmpDir();
    const header = '\uFEFFQuality\t#1 ID\t#2 ID\t#1 String\t#2 String\n';
    const rows = Array.from({ length: 600 }, (_, i) => `${i % 3 === 0 ? 0 : 1}\t${i}\t${i + 1}\tHe said "yes" ${i}.\tHe agreed ${i}.`).join('\n');
    await writeAt(dir, 'glue/MRPC/msr_paraphrase_train.txt', `${header}${rows}\n`);
    await writeAt(dir, 'glue/MRPC/msr_paraphrase_test.txt', `${header}1\t1\t2\ta\tb\n0\t3\t4\tc\td\n`);
    const task = getTask('mrpc');
    const [train, dev, test] = await Promise.all(task.splits.map((s) => task.load(s, { dataDir: dir })));
    expect([train!.examples.length, dev!.examples.length, test!.examples.length]).toEqual([192, 408, 2]);
    expect(dev!.examples.filter((e) => e.label === 0).length).toBe(136); // 200 of 600 are 0: a third of 408
    expect(test!.examples[0]).toEqual({ id: 'glue/MRPC/msr_paraphrase_test.txt:2', text: 'a', textB: 'b', label: 1 });
    expect(train!.examples[0]!.text).toMatch(/^He said "yes" \d+\.$/);
  });

  it('QQP: the one known malformed row is skipped and counted; another bad row fails with file and line', async () => {
    clearLoadCache();
    const dir = await tmpDir();
    const good = Array.from({ length: 2100 }, (_, i) => `${i}\t${2 * i}\t${2 * i + 1}\tq${i}?\tp${i}?\t${i % 4 === 0 ? 1 : 0}`).join('\n');
    const file = await writeAt(dir, 'glue/QQP/qqp_train_random_subset_23496.tsv', `1\t2\t3\tHow is it?\tWhich level is enough? 0\n${good}\n`);
    const task = getTask('qqp');
    const skips: string[] = [];
    const train = await task.load('train', { dataDir: dir, onSkip: (s) => skips.push(`${s.line}: ${s.reason}`) });
    expect([train.examples.length, train.skipped, skips]).toEqual([100, 1, ['1: expected at least 6 columns, found 5']]);
    expect((await task.load('dev', { dataDir: dir })).examples.length).toBe(2000);
    clearLoadCache();
    await writeAt(dir, 'glue/QQP/qqp_train_random_subset_23496.tsv', `1\t2\t3\tHow is it?\tWhich level is enough? 0\n${good}\n9\t9\t9\tq\tp\tmaybe\n`);
    await expect(task.load('train', { dataDir: dir })).rejects.toMatchObject({ code: 'DATA_ROW_INVALID', message: `${file}:2102: unknown label 'maybe' (expected one of 0, 1)` });
    clearLoadCache();
    expect((await task.load('train', { dataDir: dir, skipBadRows: true })).skipped).toBe(2);
  });

  it('CoLA dev = in-domain + out-of-domain files; STS-B test from the original file with gold scores', async () => {
    const dir = await tmpDir();
    await writeAt(dir, 'glue/CoLA/in_domain_dev.tsv', 'gj04\t1\t\tThe sailors rode.\ngj04\t0\t*\tRode sailors the.\n');
    await writeAt(dir, 'glue/CoLA/out_of_domain_dev.tsv', 'clc95\t1\t\tShe voted.');
    const dev = await getTask('cola').load('dev', { dataDir: dir });
    expect(dev.examples.map((e) => [e.id, e.label])).toEqual([
      ['glue/CoLA/in_domain_dev.tsv:1', 1],
      ['glue/CoLA/in_domain_dev.tsv:2', 0],
      ['glue/CoLA/out_of_domain_dev.tsv:1', 1],
    ]);
    expect((await getTask('cola').load('dev', { dataDir: dir, limit: 2 })).examples.length).toBe(2);
    await writeAt(dir, 'glue/STS-B/original/sts-test.tsv', 'main-captions\tMSRvid\t2012test\t0024\t2.500\tA girl.\tA girl styling.\nmain-news\theadlines\t2015\t0001\t4.000\tX.\tY.\tsrc1\tsrc2\n');
    const test = await getTask('stsb').load('test', { dataDir: dir });
    expect(test.examples.map((e) => [e.text, e.textB, e.label])).toEqual([
      ['A girl.', 'A girl styling.', 2.5],
      ['X.', 'Y.', 4],
    ]);
  });

  it('SuperGLUE: JSONL splits, unlabelled test without labels, broken JSON names file and line', async () => {
    const dir = await tmpDir();
    const rec = (label?: string) => JSON.stringify({ premise: 'P', hypothesis: 'H', ...(label ? { label } : {}), idx: 0 });
    await writeAt(dir, 'superglue/CB/val.jsonl', `${rec('neutral')}\n${rec('entailment')}\n`);
    await writeAt(dir, 'superglue/CB/test.jsonl', `${rec()}\n`);
    await writeAt(dir, 'superglue/CB/train.jsonl', `${rec('neutral')}\n{"premise": "P", "hypothesis": \n`);
    const cb = getTask('cb');
    expect((await cb.load('dev', { dataDir: dir })).examples.map((e) => e.label)).toEqual([2, 0]);
    const unlabelled = await cb.loadUnlabelled!({ dataDir: dir });
    expect(unlabelled.examples).toEqual([{ id: 'superglue/CB/test.jsonl:1', text: 'P', textB: 'H', fields: { premise: 'P', hypothesis: 'H' } }]);
    await expect(cb.load('train', { dataDir: dir })).rejects.toMatchObject({ message: expect.stringMatching(new RegExp(`^${join(dir, 'superglue/CB/train.jsonl')}:2: invalid JSON`)) });
    expect((await cb.load('train', { dataDir: dir, skipBadRows: true })).skipped).toBe(1);
  });

  it('MR: Windows-1252 file carved into train/dev/test; IMDB: gzip JSONL with a carved dev', async () => {
    clearLoadCache();
    const dir = await tmpDir();
    const lines = Array.from({ length: 3200 }, (_, i) => Buffer.concat([Buffer.from(`${i % 2} film ${i} clich`), Buffer.from([0xe9]), Buffer.from(' . \n')]));
    await writeAt(dir, 'sentiment/mr/rt-polarity.all', Buffer.concat(lines));
    const mr = getTask('mr');
    const parts = await Promise.all(mr.splits.map((s) => mr.load(s, { dataDir: dir })));
    expect(parts.map((p) => p.examples.length)).toEqual([200, 1000, 2000]);
    expect(parts[1]!.examples[0]!.text).toMatch(/^film \d+ cliché \. $/);

    const reviews = Array.from({ length: 2600 }, (_, i) => JSON.stringify({ id: i, rating: i % 2 ? 8 : 3, label: i % 2, text: `review ${i}` })).join('\n');
    await writeAt(dir, 'sentiment/imdb/train.jsonl.gz', reviews, true);
    await writeAt(dir, 'sentiment/imdb/test.jsonl.gz', reviews.split('\n').slice(0, 10).join('\n'), true);
    const imdb = getTask('imdb');
    const [train, dev, test] = await Promise.all(imdb.splits.map((s) => imdb.load(s, { dataDir: dir })));
    expect([train!.examples.length, dev!.examples.length, test!.examples.length]).toEqual([100, 2500, 10]);
    expect(test!.examples[0]!.id).toBe('sentiment/imdb/test.jsonl.gz:1');
  });
});
