import { describe, expect, it } from 'vitest';
import { Rng } from '@panda/core';
import type { Example } from '@panda/datasets';
import { renderText } from '../render/renderText.js';
import { grammarFor } from '../search/grammar.js';
import { searchPrompts } from '../search/search.js';
import { hashEmbedder, wordTokenizer } from '../testing/hashEmbedder.js';
import { defaultLabelWords } from '../verbalizers/labelWords.js';
import { familyForType, familyTemplates, templatesForTask } from './families.js';
import { listTemplateFamilies, registerTemplateFamily, templateFamily } from './familyRegistry.js';

const headlines = {
  name: 'headline',
  description: 'a news headline with its source',
  templates: () => [
    { style: 'cloze', template: 'Headline: {text|shorten} Section: {mask}.' },
    { style: 'cloze', template: '{mask} news: {text|shorten}', answer: '{mask} news.' },
    { style: 'teaser', template: 'You will not believe this {mask} story: {text|shorten}' },
  ],
  grammar: { start: ['<frame>{text|shorten} <ask> {mask}.'], rules: { frame: ['', 'Headline: '], ask: ['Section:', 'Topic:', 'This is about'] } },
};

describe('template-family registry', () => {
  it('holds the built-in families; the task types each serve', () => {
    expect(listTemplateFamilies().map((f) => f.name)).toEqual(['single', 'pair', 'qa', 'choice', 'span']);
    expect((['single', 'pair', 'choice', 'span'] as const).map(familyForType)).toEqual(['single', 'pair', 'choice', 'span']);
    expect(() => familyForType('regression')).toThrow(expect.objectContaining({ code: 'TEMPLATE_INVALID', message: expect.stringMatching(/^regression tasks have no label words; no template family serves regression tasks/) }));
    expect(templateFamily('span').grammar).toBe(templateFamily('pair').grammar);
  });

  it('refuses duplicates, a task type already served, bad templates and bad definitions', () => {
    expect(() => registerTemplateFamily({ ...headlines, name: 'single' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: "a template family named 'single' is already registered" }));
    expect(() => registerTemplateFamily({ ...headlines, name: 'headline2', taskTypes: ['pair'] })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: "template family 'headline2': pair tasks are already served by family 'pair'" }));
    expect(() => registerTemplateFamily({ ...headlines, name: 'nomask', templates: () => [{ style: 'cloze', template: '{text}' }] })).toThrow(expect.objectContaining({ code: 'TEMPLATE_INVALID' }));
    expect(() => registerTemplateFamily({ ...headlines, name: 'broken', templates: () => [{ style: 'cloze', template: '{text {mask}' }] })).toThrow(expect.objectContaining({ code: 'TEMPLATE_INVALID' }));
    expect(() => registerTemplateFamily({ ...headlines, name: 'badtype', taskTypes: ['tree' as never] })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(listTemplateFamilies()).toHaveLength(5);
  });

  it('an unknown task hint names the registered families', () => {
    expect(() => templatesForTask({ type: 'single', template: 'tweets' })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: "unknown template family 'tweets'; registered: single, pair, qa, choice, span" }),
    );
    expect(() => grammarFor('tweets')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it('serves a third-party family to tasks that name it, in templates and in prompt search', async () => {
    registerTemplateFamily(headlines);
    const task = { name: 'news', type: 'single' as const, template: 'headline', labels: ['sports', 'business'] };
    const templates = templatesForTask(task, defaultLabelWords(task.labels));
    expect(templates.map((t) => [t.name, t.family, t.style])).toEqual([
      ['headline/cloze/1', 'headline', 'cloze'],
      ['headline/cloze/2', 'headline', 'cloze'],
      ['headline/teaser/1', 'headline', 'teaser'],
    ]);
    expect(renderText(templates[1]!.answer!, { text: 'x' }, { mask: 'sports' })).toBe('sports news.');
    expect(familyTemplates('single')[0]!.name).toBe('single/cloze/1');
    expect(familyForType('single')).toBe('single');

    // searchPrompts draws from the family's own grammar.
    const rng = new Rng('news');
    const data = (n: number, seed: string): Example[] =>
      Array.from({ length: n }, (_, i) => ({ id: `${seed}:${i}`, text: `${rng.int(2) ? 'the' : 'a'} ${i % 2 ? 'market stocks bank' : 'match goal team'} report`, label: i % 2 }));
    const r = await searchPrompts({ task, train: data(40, 'train'), dev: data(20, 'dev'), embedder: hashEmbedder(wordTokenizer()), config: { seed: 1, templates: 6, rankExamples: 40 } });
    expect(r.candidates.length).toBeGreaterThan(0);
    const grammarSources = new Set(['{text|shorten} Section: {mask}.', '{text|shorten} Topic: {mask}.', '{text|shorten} This is about {mask}.'].flatMap((s) => [s, `Headline: ${s}`]));
    for (const c of r.candidates) expect(grammarSources).toContain(c.template.source);
  });
});
