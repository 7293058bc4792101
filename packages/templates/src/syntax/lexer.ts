import { templateSyntaxError } from './errors.js';

/**
 * Tokens of the template language. Outside braces the source is literal text, with three escapes:
 * `\{`, `\}` and `\\`. Inside braces (a placeholder) it is words, numbers, double-quoted strings
 * and the punctuation `:` `#` `|`; spaces and tabs between them are ignored.
 */
export type Token =
  | { type: 'text'; value: string; start: number; end: number }
  | { type: 'open'; start: number; end: number }
  | { type: 'close'; start: number; end: number }
  | { type: 'word'; value: string; start: number; end: number }
  | { type: 'number'; value: number; raw: string; start: number; end: number }
  | { type: 'string'; value: string; start: number; end: number }
  | { type: 'punct'; value: ':' | '#' | '|'; start: number; end: number };

const WORD_START = /[A-Za-z_]/;
const WORD_CHAR = /[A-Za-z0-9_.-]/;
const DIGIT = /[0-9]/;

function describeChar(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  if (code < 32 || code === 127) return `control character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return `'${ch}'`;
}

/**
 * Splits a template source into tokens.
 * @throws PandaError `TEMPLATE_INVALID` (with position, line and column) for an unknown escape, a
 *   stray `}`, an unclosed `{` or string, or a character that cannot appear in a placeholder.
 */
export function lex(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let text = '';
  let textStart = 0;
  const flushText = (end: number): void => {
    if (text !== '') tokens.push({ type: 'text', value: text, start: textStart, end });
    text = '';
  };
  while (i < source.length) {
    const ch = source[i]!;
    if (ch === '\\') {
      const next = source[i + 1];
      if (next === '{' || next === '}' || next === '\\') {
        if (text === '') textStart = i;
        text += next;
        i += 2;
        continue;
      }
      if (next === undefined) throw templateSyntaxError(source, i, "the template ends with a lone '\\'; write '\\\\' for a backslash");
      throw templateSyntaxError(source, i, `unknown escape '\\${next}'; only '\\{', '\\}' and '\\\\' are escapes (write '\\\\' for a backslash)`);
    }
    if (ch === '}') throw templateSyntaxError(source, i, "'}' without an opening '{'; write '\\}' for a literal brace");
    if (ch !== '{') {
      if (text === '') textStart = i;
      text += ch;
      i++;
      continue;
    }
    flushText(i);
    const open = i;
    tokens.push({ type: 'open', start: i, end: i + 1 });
    i++;
    for (;;) {
      if (i >= source.length) throw templateSyntaxError(source, open, "'{' is never closed; add '}' or write '\\{' for a literal brace");
      const c = source[i]!;
      if (c === ' ' || c === '\t') {
        i++;
      } else if (c === '}') {
        tokens.push({ type: 'close', start: i, end: i + 1 });
        i++;
        break;
      } else if (c === ':' || c === '#' || c === '|') {
        tokens.push({ type: 'punct', value: c, start: i, end: i + 1 });
        i++;
      } else if (c === '"') {
        const start = i;
        let value = '';
        i++;
        for (;;) {
          if (i >= source.length) throw templateSyntaxError(source, start, 'this string is never closed; end it with \'"\'');
          const s = source[i]!;
          if (s === '"') {
            i++;
            break;
          }
          if (s === '\\') {
            const e = source[i + 1];
            if (e === '"' || e === '\\') {
              value += e;
              i += 2;
              continue;
            }
            throw templateSyntaxError(source, i, `unknown escape '\\${e ?? ''}' in a string; only '\\"' and '\\\\' are escapes there`);
          }
          value += s;
          i++;
        }
        tokens.push({ type: 'string', value, start, end: i });
      } else if (DIGIT.test(c)) {
        const start = i;
        while (i < source.length && DIGIT.test(source[i]!)) i++;
        if (i < source.length && WORD_START.test(source[i]!)) {
          throw templateSyntaxError(source, start, `'${source.slice(start, i + 1)}…' is neither a number nor a name (names start with a letter or '_')`);
        }
        const raw = source.slice(start, i);
        tokens.push({ type: 'number', value: Number(raw), raw, start, end: i });
      } else if (WORD_START.test(c)) {
        const start = i;
        while (i < source.length && WORD_CHAR.test(source[i]!)) i++;
        tokens.push({ type: 'word', value: source.slice(start, i), start, end: i });
      } else if (c === '{') {
        throw templateSyntaxError(source, i, "'{' inside a placeholder; close the one opened before it, or write '\\{' for a literal brace");
      } else {
        const cp = String.fromCodePoint(source.codePointAt(i)!);
        throw templateSyntaxError(source, i, `unexpected ${describeChar(cp)} in a placeholder; placeholders look like {text}, {mask} or {soft:2}`);
      }
    }
    textStart = i;
  }
  flushText(source.length);
  return tokens;
}
