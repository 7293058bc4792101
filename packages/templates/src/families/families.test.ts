import { describe, expect, it } from 'vitest';
import type { TaskType, TemplateFamily } from '@panda/datasets';
import { renderText } from '../render/renderText.js';
import { defaultLabelWords } from '../verbalizers/labelWords.js';
import { familyTemplates, templatesForTask } from './families.js';

describe('built-in template families', () => {
  it('covers cloze, QA and descriptive styles for single sentences, pairs and multiple choice', () => {
    for (const family of ['single', 'pair', 'choice', 'qa'] as const) {
      const styles = new Set(familyTemplates(family).map((t) => t.style));
      expect([...styles].sort()).toEqual(['cloze', 'descriptive', 'qa']);
      for (const t of familyTemplates(family)) expect(t.template.hasMask).toBe(true);
    }
  });

  it('is chosen by the task type, or by the task template hint', () => {
    const pick = (type: TaskType, template?: TemplateFamily): string[] => templatesForTask({ type, ...(template ? { template } : {}) }).map((t) => t.name);
    expect(pick('single')[0]).toBe('single/cloze/1');
    expect(pick('pair')[0]).toBe('pair/cloze/1');
    expect(pick('choice')[0]).toBe('choice/cloze/1');
    expect(pick('pair', 'qa')[0]).toBe('qa/qa/1');
    expect(() => pick('regression')).toThrow(/regression/);
  });

  it('names the label words in descriptive prompts and renders real-looking examples', () => {
    const words = defaultLabelWords(['World', 'Sports', 'Business', 'Sci/Tech']);
    const desc = familyTemplates('single', words).find((t) => t.style === 'descriptive')!;
    expect(renderText(desc.template, { text: 'Stocks fell.' }, { mask: 'business' })).toBe('Each text below is labelled world, sports, business or technology. Text: Stocks fell. Label: business.');
    const pair = familyTemplates('pair')[0]!;
    expect(renderText(pair.template, { text: 'A man sleeps.', textB: 'A man is awake.' }, { mask: 'No' })).toBe('A man sleeps? No, A man is awake.');
    expect(renderText(pair.answer!, { text: 'A man sleeps.', textB: 'A man is awake.' }, { mask: 'No' })).toBe('No, A man is awake.');
    const copa = familyTemplates('choice')[1]!;
    expect(renderText(copa.template, { text: 'The man fell.', fields: { question: 'cause' }, choices: ['a', 'b'] }, { mask: 'He slipped.' })).toBe('The man fell. What was the cause? He slipped.');
  });
});
