import { PandaError } from '@panda/core';
import { FIELD_MODIFIERS, MAX_SOFT_COUNT, type FieldModifier, type FieldSource, type TemplateAst, type TemplateNode } from './ast.js';
import { templateSyntaxError } from './errors.js';
import { lex, type Token } from './lexer.js';

const KEYWORDS = ['text', 'textB', 'field', 'choice', 'mask', 'soft'] as const;
const FORMS = '{text}, {textB}, {field:<name>}, {choice:<n>}, {mask} or {soft}';

/** Levenshtein distance, for "did you mean" hints. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

function suggest(word: string, options: readonly string[]): string {
  let best: string | undefined;
  let bestD = Infinity;
  for (const o of options) {
    const d = distance(word, o);
    if (d < bestD) {
      bestD = d;
      best = o;
    }
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(best.length / 3)) ? ` (did you mean '${best}'?)` : '';
}

function tokenText(t: Token): string {
  switch (t.type) {
    case 'word':
      return `'${t.value}'`;
    case 'number':
      return `'${t.raw}'`;
    case 'string':
      return 'a string';
    case 'punct':
      return `'${t.value}'`;
    case 'close':
      return "'}'";
    case 'open':
      return "'{'";
    case 'text':
      return 'text';
  }
}

/** Parses the tokens of one placeholder (between `{` and `}`). */
class PlaceholderParser {
  #i = 0;
  constructor(
    private readonly source: string,
    private readonly tokens: readonly Token[],
    private readonly open: Token,
    private readonly close: Token,
  ) {}

  #peek(): Token | undefined {
    return this.tokens[this.#i];
  }

  #next(): Token | undefined {
    return this.tokens[this.#i++];
  }

  #fail(at: Token | undefined, message: string): PandaError {
    return templateSyntaxError(this.source, at ? at.start : this.close.start, message);
  }

  parse(): TemplateNode {
    const head = this.#next();
    if (head === undefined) throw this.#fail(this.open, `empty placeholder '{}'; use ${FORMS}, or write '\\{\\}' for literal braces`);
    if (head.type !== 'word') throw this.#fail(head, `a placeholder starts with a name, found ${tokenText(head)}; use ${FORMS}`);
    let node: TemplateNode;
    switch (head.value) {
      case 'mask':
        node = { kind: 'mask' };
        break;
      case 'soft':
        node = this.#soft();
        break;
      case 'text':
      case 'textB':
        node = this.#field({ source: head.value });
        break;
      case 'field': {
        this.#expectColon("'field' needs a name: {field:question}");
        const name = this.#next();
        if (name?.type === 'word' || name?.type === 'string') {
          if (name.value === '') throw this.#fail(name, 'the field name is empty');
          node = this.#field({ source: 'fields', name: name.value });
        } else {
          throw this.#fail(name, `expected a field name after 'field:', found ${name ? tokenText(name) : "'}'"}`);
        }
        break;
      }
      case 'choice': {
        this.#expectColon("'choice' needs an index: {choice:0}");
        const index = this.#next();
        if (index?.type !== 'number') throw this.#fail(index, `expected a choice index (0, 1, …) after 'choice:', found ${index ? tokenText(index) : "'}'"}`);
        if (!Number.isSafeInteger(index.value)) throw this.#fail(index, `choice index ${index.raw} is too large`);
        node = this.#field({ source: 'choice', index: index.value });
        break;
      }
      default:
        throw this.#fail(head, `unknown placeholder '${head.value}'${suggest(head.value, KEYWORDS)}; use ${FORMS}`);
    }
    const rest = this.#peek();
    if (rest !== undefined) {
      const what = node.kind === 'mask' ? '{mask} takes no options' : node.kind === 'soft' ? "a soft token is written {soft}, {soft:3}, {soft#id} or {soft#id:\"init words\"}" : `unexpected ${tokenText(rest)}`;
      throw this.#fail(rest, `${what} (found ${tokenText(rest)})`);
    }
    return node;
  }

  #expectColon(message: string): void {
    const t = this.#next();
    if (t?.type !== 'punct' || t.value !== ':') throw this.#fail(t, message);
  }

  #field(ref: FieldSource): TemplateNode {
    const modifiers: FieldModifier[] = [];
    while (this.#peek()?.type === 'punct' && (this.#peek() as { value: string }).value === '|') {
      this.#next();
      const m = this.#next();
      if (m?.type !== 'word') throw this.#fail(m, `expected a modifier after '|' (${FIELD_MODIFIERS.join(', ')})`);
      if (!(FIELD_MODIFIERS as readonly string[]).includes(m.value)) {
        throw this.#fail(m, `unknown modifier '${m.value}'${suggest(m.value, FIELD_MODIFIERS)}; modifiers are ${FIELD_MODIFIERS.join(', ')}`);
      }
      if (modifiers.includes(m.value as FieldModifier)) throw this.#fail(m, `modifier '${m.value}' is given twice`);
      modifiers.push(m.value as FieldModifier);
    }
    const t = this.#peek();
    if (t !== undefined) {
      const hint = t.type === 'punct' && t.value === ':' && (ref.source === 'text' || ref.source === 'textB') ? `; '${ref.source}' takes no ':' option (modifiers go after '|')` : '; modifiers go after \'|\', as in {text|shorten}';
      throw this.#fail(t, `unexpected ${tokenText(t)} in a field placeholder${hint}`);
    }
    return { kind: 'field', ref, modifiers: FIELD_MODIFIERS.filter((x) => modifiers.includes(x)) };
  }

  #soft(): TemplateNode {
    let id: string | null = null;
    let count: number | null = null;
    let init: string | null = null;
    let t = this.#peek();
    if (t?.type === 'punct' && t.value === '#') {
      this.#next();
      const name = this.#next();
      if (name?.type === 'word') id = name.value;
      else if (name?.type === 'number') id = name.raw;
      else throw this.#fail(name, "expected an id after '#': {soft#prompt}");
      t = this.#peek();
    }
    if (t?.type === 'punct' && t.value === ':') {
      this.#next();
      const spec = this.#next();
      if (spec?.type === 'number') {
        if (!Number.isSafeInteger(spec.value) || spec.value < 1 || spec.value > MAX_SOFT_COUNT) {
          throw this.#fail(spec, `a soft token count must be between 1 and ${MAX_SOFT_COUNT}, got ${spec.raw}`);
        }
        count = spec.value;
      } else if (spec?.type === 'string') {
        if (spec.value.trim() === '') throw this.#fail(spec, 'the init words of a soft token are empty; give words ({soft:"It was"}) or a count ({soft:2})');
        init = spec.value;
      } else {
        throw this.#fail(spec, `expected a count or "init words" after 'soft:', found ${spec ? tokenText(spec) : "'}'"}`);
      }
    }
    return { kind: 'soft', id, count, init };
  }
}

/**
 * Parses a template into its typed tree (no `eval`; a hand-written lexer and recursive-descent
 * parser). Text is literal except for placeholders in braces:
 *
 * - `{text}`, `{textB}`, `{field:question}`, `{choice:0}`: input fields, with modifiers
 *   `{text|shorten}` (may be truncated to fit), `|lower`, `|nopunct`;
 * - `{mask}`: the slot the model fills (at most one per template);
 * - `{soft}`, `{soft:3}`, `{soft:"It was"}`, `{soft#id}`, `{soft#id:2}`: trainable soft tokens;
 *   nodes with the same id share rows;
 * - `\{`, `\}`, `\\`: a literal brace or backslash.
 *
 * @example parseTemplate('{text|shorten} It was {mask}.')
 * @throws PandaError `TEMPLATE_INVALID` with `details` `{ position, line, column, reason }`.
 */
export function parseTemplate(source: string): TemplateAst {
  if (typeof source !== 'string') throw new PandaError('TEMPLATE_INVALID', `a template must be a string, got ${typeof source}`);
  const tokens = lex(source);
  const nodes: TemplateNode[] = [];
  let maskAt: number | undefined;
  const softSpecs = new Map<string, { count: number | null; init: string | null }>();
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.type === 'text') {
      const last = nodes.at(-1);
      if (last?.kind === 'text') nodes[nodes.length - 1] = { kind: 'text', value: last.value + t.value };
      else nodes.push({ kind: 'text', value: t.value });
      continue;
    }
    // The lexer guarantees every 'open' has a matching 'close' with only placeholder tokens between.
    let j = i + 1;
    while (tokens[j]!.type !== 'close') j++;
    const node = new PlaceholderParser(source, tokens.slice(i + 1, j), t, tokens[j]!).parse();
    if (node.kind === 'mask') {
      if (maskAt !== undefined) throw templateSyntaxError(source, t.start, `a template has at most one {mask}; the first is at offset ${maskAt}`);
      maskAt = t.start;
    }
    if (node.kind === 'soft' && node.id !== null && (node.count !== null || node.init !== null)) {
      const prior = softSpecs.get(node.id);
      if (prior && (prior.count !== node.count || prior.init !== node.init)) {
        throw templateSyntaxError(source, t.start, `soft token #${node.id} is declared twice with different sizes or init words; declare it once and write {soft#${node.id}} elsewhere`);
      }
      softSpecs.set(node.id, { count: node.count, init: node.init });
    }
    nodes.push(node);
    i = j;
  }
  return { nodes };
}
