import { PandaError, Rng } from '@panda/core';
import { templateFamily } from '../families/familyRegistry.js';
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

/**
 * The pattern grammar of a registered template family (see `registerTemplateFamily`).
 * @throws PandaError `CONFIG_INVALID` for an unregistered family (listing the registered ones);
 * `TEMPLATE_INVALID` for a family registered without a grammar.
 */
export function grammarFor(family: string): PromptGrammar {
  const grammar = templateFamily(family).grammar;
  if (!grammar) throw new PandaError('TEMPLATE_INVALID', `template family '${family}' has no pattern grammar for prompt search; give one with options.grammar`);
  return grammar;
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
