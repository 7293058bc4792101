import { describe, expect, it } from 'vitest';
import { isPandaError } from '@panda/core';
import type { Example } from '../types.js';
import type { TaskDefinition } from './task.js';
import { asClassification } from './asClassification.js';

const task = (type: TaskDefinition['type'], examples: Example[]): TaskDefinition => ({
  name: 't',
  description: 'toy',
  type,
  labels: ['a', 'b'],
  metric: 'accuracy',
  builtin: true,
  splits: ['train', 'dev'],
  load: async () => ({ examples, skipped: 0 }) as never,
});

describe('asClassification', () => {
  it('serialises COPA-style choices, WiC and WSC spans into a text pair and keeps the label', async () => {
    const copa = asClassification(task('choice', [{ id: '1', text: 'The man fell.', choices: ['He slipped.', 'He sang.'], label: 0, fields: { question: 'cause' } }]));
    expect(copa.type).toBe('pair');
    const [c] = (await copa.load('train', { dataDir: '.' })).examples;
    expect(c).toMatchObject({ text: 'The man fell. (cause)', textB: 'He slipped. / He sang.', label: 0 });

    const wic = asClassification(task('span', [{ id: '2', text: 'a place', textB: 'no place', label: 1, spans: [{ field: 'text', start: 2, end: 7, text: 'place' }, { field: 'textB', start: 3, end: 8, text: 'place' }] }]));
    expect((await wic.load('dev', { dataDir: '.' })).examples[0]).toMatchObject({ textB: 'no place [word: place]', label: 1 });

    const wsc = asClassification(task('span', [{ id: '3', text: 'Mark lied. He was bad.', label: 0, spans: [{ field: 'text', start: 0, end: 4, text: 'Mark' }, { field: 'text', start: 11, end: 13, text: 'He' }] }]));
    expect((await wsc.load('dev', { dataDir: '.' })).examples[0]).toMatchObject({ text: 'Mark lied. He was bad.', textB: 'He = Mark?', label: 0 });
  });

  it('leaves single and pair tasks alone and refuses regression', () => {
    const single = task('single', []);
    expect(asClassification(single)).toBe(single);
    expect(() => asClassification(task('regression', []))).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    try {
      asClassification(task('regression', []));
    } catch (e) {
      expect(isPandaError(e, 'CONFIG_INVALID')).toBe(true);
    }
  });
});
