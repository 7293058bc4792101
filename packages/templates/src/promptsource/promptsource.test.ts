import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { isPandaError } from '@panda/core';
import type { Example } from '@panda/datasets';
import { hashEmbedder, wordTokenizer } from '../testing/hashEmbedder.js';
import { checkPromptSource, loadPromptSource, parsePromptSource } from './load.js';
import { jinjaVariables } from './jinjaVariables.js';
import { exampleVariables } from './promptSourceTemplate.js';
import { scorePromptSource } from './score.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

// Rows as the datasets package loads CB (superglue/CB/val.jsonl): text/textB plus named fields.
const cb: Example[] = [
  { id: 'superglue/CB/val.jsonl:1', text: 'It was a cold night.', textB: 'It was cold.', label: 0, fields: { premise: 'It was a cold night.', hypothesis: 'It was cold.' } },
  { id: 'superglue/CB/val.jsonl:2', text: 'She said no.', textB: 'She agreed.', label: 1, fields: { premise: 'She said no.', hypothesis: 'She agreed.' } },
];

describe('PromptSource import', () => {
  it('loads the YAML with its !Template tags and passes the five PromptSource checks', async () => {
    const c = await loadPromptSource(fixture('cb.yaml'));
    expect(c.dataset).toBe('super_glue');
    expect(c.subset).toBe('cb');
    expect(c.templates.map((t) => t.name)).toEqual(['does this mean', 'always sometimes never', 'fact and claim']);
    expect(c.templates[0]!.metadata).toMatchObject({ original_task: true, metrics: ['Accuracy'] });
    expect(checkPromptSource(c, { features: ['premise', 'hypothesis', 'label', 'idx'] })).toEqual([]);
    const s = await loadPromptSource(fixture('sst2.yaml'));
    expect(checkPromptSource(s, { features: ['sentence', 'label', 'idx'] })).toEqual([]);
  });

  it('renders input and target like PromptSource: answer choices, filters, zip, split on |||', async () => {
    const [mean, always, zipped] = (await loadPromptSource(fixture('cb.yaml'))).templates;
    const vars = exampleVariables(cb[0]!);
    expect(mean!.apply(vars)).toEqual({
      input: 'It was a cold night. Question: does this mean that "It was cold."? Yes, no, or maybe?',
      target: 'Yes',
      answerChoices: ['Yes', 'No', 'Maybe'],
    });
    expect(always!.apply(exampleVariables(cb[1]!)).target).toBe('Never');
    expect(always!.apply(vars).input).toBe('Suppose it is true that It was a cold night. Then, is "It was cold." always, sometimes, or never true?');
    const z = zipped!.apply(vars);
    // (YAML folds the line break inside the single-quoted scalar into a space.)
    expect(z.input).toBe('Fact: It was a cold night. Claim: It was cold. Is the claim correct, incorrect, or inconclusive?');
    expect(z.target).toBe('Correct');
    // An unlabelled example (-1) renders no target.
    expect(mean!.apply({ ...vars, label: -1 }).target).toBe('');
  });

  it('lists the variables a Jinja source reads (not loop variables, attributes, filters or globals)', () => {
    expect(jinjaVariables('{% for a, b in zip(xs, ys) %}{{ a.name | lower }}{{ b[k] }}{% endfor %}{{ answer_choices[label] }}{% set t = 1 %}{{ t }}')).toEqual(['k', 'label', 'xs', 'ys']);
  });

  it('reports each failed check', () => {
    const c = parsePromptSource(`dataset: d
templates:
  not-a-uuid: !Template
    id: not-a-uuid
    name: one
    jinja: '{{sentense}} no target'
  2f6c1c1e-5b1a-4a57-9f0e-3c0f2d9a7b11: !Template
    id: 2f6c1c1e-5b1a-4a57-9f0e-3c0f2d9a7b11
    name: one
    jinja: '{{sentense}} no target'
`);
    const checks = checkPromptSource(c, { features: ['sentence', 'label'] }).map((i) => `${i.templateId}:${i.check}`);
    expect(checks).toEqual([
      'not-a-uuid:variables-known',
      'not-a-uuid:has-target',
      'not-a-uuid:uuid',
      '2f6c1c1e-5b1a-4a57-9f0e-3c0f2d9a7b11:variables-known',
      '2f6c1c1e-5b1a-4a57-9f0e-3c0f2d9a7b11:has-target',
      '2f6c1c1e-5b1a-4a57-9f0e-3c0f2d9a7b11:unique',
      '2f6c1c1e-5b1a-4a57-9f0e-3c0f2d9a7b11:unique',
    ]);
  });

  it('turns bad files into TEMPLATE_INVALID with a location', () => {
    const bad = (text: string): Record<string, unknown> => {
      try {
        parsePromptSource(text, 'x.yaml');
      } catch (err) {
        expect(isPandaError(err, 'TEMPLATE_INVALID')).toBe(true);
        return { message: (err as Error).message, ...(err as { details: Record<string, unknown> }).details };
      }
      throw new Error('no error');
    };
    expect(bad('dataset: d\ntemplates:\n  a: [unclosed\n').message).toMatch(/^x\.yaml:\d+:\d+: /);
    expect(bad('dataset: d\ntemplates:\n  a: !Unknown\n    id: a\n').message).toMatch(/Unresolved tag: !Unknown/);
    expect(bad('dataset: d\ntemplates:\n  a: !Template\n    id: a\n    name: n\n').message).toMatch(/templates\.a\.jinja/);
    expect(bad("dataset: d\ntemplates:\n  a: !Template\n    id: a\n    name: n\n    jinja: '{{ x '\n").message).toMatch(/invalid Jinja/);
  });

  it('scores answer choices by similarity (zero-shot)', async () => {
    const t = (await loadPromptSource(fixture('sst2.yaml'))).templates[0]!;
    const xs: Example[] = [
      { id: '1', text: 'positive positive fun', label: 1 },
      { id: '2', text: 'negative negative dull', label: 0 },
    ];
    const emb = hashEmbedder(wordTokenizer(), { dim: 256 });
    const r = await scorePromptSource(t, xs, emb, { variables: (x) => ({ sentence: x.text, label: x.label }) });
    expect(r.predictions).toEqual([1, 0]);
  });
});
