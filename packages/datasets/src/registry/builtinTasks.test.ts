import { describe, expect, it } from 'vitest';
import { getTask, spamTask } from './builtinTasks.js';
import { emailToText } from '../adapters/spamAssassin.js';
import { resolveDataDir } from './dataDir.js';

describe('task registry', () => {
  it('rejects an unknown task with TASK_UNKNOWN listing the known ones', () => {
    expect(() => getTask('sst-9')).toThrow(/unknown task 'sst-9'; known tasks: spam, sst2/);
    try {
      getTask('nope');
    } catch (err) {
      expect((err as { code: string }).code).toBe('TASK_UNKNOWN');
    }
  });

  it('loads the built-in spam task from its npm package with a fixed, disjoint, stratified split', async () => {
    const ctx = { dataDir: resolveDataDir() };
    const [train, dev, test] = await Promise.all([spamTask.load('train', ctx), spamTask.load('dev', ctx), spamTask.load('test', ctx)]);
    expect([train.examples.length, dev.examples.length, test.examples.length]).toEqual([4546, 500, 1000]);
    const ids = new Set([...train.examples, ...dev.examples, ...test.examples].map((e) => e.id));
    expect(ids.size).toBe(6046);
    const spamShare = (xs: { label: number }[]) => xs.filter((e) => e.label === 1).length / xs.length;
    // 1,896 of 6,046 emails are spam (31.4 %); the split keeps that share.
    for (const s of [train, dev, test]) expect(spamShare(s.examples)).toBeCloseTo(1896 / 6046, 2);
    console.log(`spam train/dev/test: ${[train, dev, test].map((s) => { const spam = s.examples.filter((e) => e.label === 1).length; return `${s.examples.length} (ham ${s.examples.length - spam}, spam ${spam})`; }).join(' / ')}`);
    expect(train.examples[0]!.text.length).toBeGreaterThan(10);
  });

  it('keeps the subject and body of an email and drops headers and HTML', () => {
    const raw = 'From: a@b.c\nSubject: Cheap\n  pills\nX-Spam: yes\n\n<html><b>Buy</b>&nbsp;now=\n!</html>';
    expect(emailToText(raw)).toBe('Cheap pills. Buy now!');
  });
});
