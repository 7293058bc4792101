import { PandaError, Rng } from '@panda/core';
import type { TemplateFamily } from '@panda/datasets';
import { Template } from '../syntax/template.js';
import { escapeText } from '../syntax/printer.js';

/**
 * A grammar of prompt patterns: nonterminals in angle brackets (`<frame>`) expand to one of their
 * alternatives; everything else is template source (placeholders included). `<domain>` is filled
 * from the task's data (its most frequent content words) by {@link expandGrammar}.
 */
export interface PromptGrammar {
  /** The start symbol's alternatives, as template source with `<name>` references. */
  start: readonly string[];
  rules: Readonly<Record<string, readonly string[]>>;
  /** The label view (similarity `answer`) for a start alternative; `$connect` etc. refer to the chosen expansions. */
  answers?: Readonly<Record<string, string>>;
}

/** Expanded candidate: the template source, its label view, and the expansion that produced it. */
export interface GrammarCandidate {
  source: string;
  answer: string | undefined;
  /** Nonterminal → chosen alternative. */
  choices: Record<string, string>;
}

const SINGLE: PromptGrammar = {
  start: ['<frame>{text|shorten} <connect> {mask}.', '<frame>{text|shorten|nopunct}, <connect> {mask}.', '<frame><lead> {mask}: {text|shorten}'],
  rules: {
    frame: ['', 'Review: ', 'Text: ', 'A text about <domain>. ', 'Here is what someone wrote about <domain>. ', 'News: ', 'Comment: '],
    connect: ['it was', 'it is', 'all in all, it was', 'in summary, it is', 'overall, it felt', 'this is about', 'the topic is', 'the text is', 'I think it was', 'really'],
    lead: ['', 'It was', 'Topic', 'Category', 'In a word'],
  },
  answers: {
    '<frame>{text|shorten} <connect> {mask}.': '<connect> {mask}.',
    '<frame>{text|shorten|nopunct}, <connect> {mask}.': '<connect> {mask}.',
    '<frame><lead> {mask}: {text|shorten}': '<lead> {mask}.',
  },
};

const PAIR: PromptGrammar = {
  start: ['<frame>{text|shorten|nopunct}? {mask}, {textB|shorten}', '<frame>{text|shorten} <ask> {mask}, {textB|shorten}', '<frame>{text|shorten} {mask} <link> {textB|shorten}'],
  rules: {
    frame: ['', 'Premise: ', 'Consider this. '],
    ask: ['Question: is it true?', 'Right?', 'Does it follow?', 'So', 'Then'],
    link: ['', 'that', 'because', 'so'],
  },
  // Label views without fields: the same for every example, so trying words costs a few embeddings
  // (views that read {textB} cost one embedding per example and word; the built-in pair family has them).
  answers: {
    '<frame>{text|shorten|nopunct}? {mask}, {textB|shorten}': '{mask}.',
    '<frame>{text|shorten} <ask> {mask}, {textB|shorten}': '<ask> {mask}.',
    '<frame>{text|shorten} {mask} <link> {textB|shorten}': '{mask} <link>.',
  },
};

const QA: PromptGrammar = {
  start: ['<frame>{text|shorten} Question: {textB|nopunct}? Answer: {mask}.', '<frame>{text|shorten} <ask> {textB|nopunct|lower}? {mask}.'],
  rules: {
    frame: ['', 'Passage: ', 'Read this about <domain>. '],
    ask: ['Based on the passage,', 'Is it true that', 'So,', 'Question:'],
  },
  answers: {
    '<frame>{text|shorten} Question: {textB|nopunct}? Answer: {mask}.': 'Answer: {mask}.',
    '<frame>{text|shorten} <ask> {textB|nopunct|lower}? {mask}.': '{mask}.',
  },
};

const CHOICE: PromptGrammar = {
  start: ['<frame>{text|shorten|nopunct} <link> {mask}', '<frame>{text|shorten} What was the {field:question}? {mask}'],
  rules: { frame: ['', 'Premise: '], link: [',', 'because', 'so', 'and then'] },
  answers: { '<frame>{text|shorten|nopunct} <link> {mask}': '{mask}', '<frame>{text|shorten} What was the {field:question}? {mask}': '{mask}' },
};

/** The built-in pattern grammar of a template family. */
export function grammarFor(family: TemplateFamily): PromptGrammar {
  switch (family) {
    case 'single':
      return SINGLE;
    case 'pair':
    case 'span':
      return PAIR;
    case 'qa':
      return QA;
    case 'choice':
      return CHOICE;
  }
}

const REF = /<([a-z]+)>/g;

/**
 * Every template the grammar derives (nonterminals expanded in order, `<domain>` replaced by each of
 * `domain`), each a valid template (parsed), deduplicated, in a fixed order.
 * @throws PandaError `TEMPLATE_INVALID` for a rule that names an unknown nonterminal or expands to an invalid template.
 */
export function expandGrammar(grammar: PromptGrammar, domain: readonly string[] = ['this']): GrammarCandidate[] {
  const rules: Record<string, readonly string[]> = { ...grammar.rules, domain: domain.length ? domain.map(escapeText) : ['this'] };
  const out = new Map<string, GrammarCandidate>();
  const expand = (start: string, text: string, choices: Record<string, string>): void => {
    const m = /<([a-z]+)>/.exec(text);
    if (!m) {
      let answer = grammar.answers?.[start];
      if (answer !== undefined) answer = answer.replace(REF, (_, name: string) => choices[name] ?? '');
      const source = text.replace(/ {2,}/g, ' ').replace(/^ /, '');
      if (!out.has(source)) out.set(source, { source, answer: answer?.replace(/ {2,}/g, ' ').trim(), choices });
      return;
    }
    const name = m[1]!;
    const alts = rules[name];
    if (!alts) throw new PandaError('TEMPLATE_INVALID', `grammar: unknown nonterminal <${name}> in '${text}'`);
    for (const alt of alts) expand(start, text.slice(0, m.index) + alt + text.slice(m.index + m[0].length), { ...choices, [name]: alt });
  };
  for (const s of grammar.start) expand(s, s, {});
  const list = [...out.values()];
  for (const c of list) {
    Template.parse(c.source);
    if (c.answer !== undefined) Template.parse(c.answer);
  }
  return list;
}

/** `n` distinct candidates drawn from the grammar's derivations with the seed (all of them if fewer). */
export function sampleGrammar(grammar: PromptGrammar, n: number, rng: Rng, domain?: readonly string[]): GrammarCandidate[] {
  const all = expandGrammar(grammar, domain);
  return rng.shuffle([...all]).slice(0, Math.min(n, all.length));
}
