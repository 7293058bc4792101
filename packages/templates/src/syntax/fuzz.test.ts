import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isPandaError } from '@panda/core';
import { locate } from './errors.js';
import { parseTemplate } from './parser.js';
import { printTemplate } from './printer.js';

/** Pieces that make near-miss templates likely: the language's own words and punctuation. */
const PIECES = ['{', '}', '\\', '|', '#', ':', '"', ' ', '\n', '\t', 'text', 'textB', 'mask', 'soft', 'field', 'choice', 'shorten', 'lower', 'nopunct', '0', '3', '512', '513', '01', '-', '.', 'é', '😀', '\u0000', '\ud800', '\udc00', 'a', 'It was '];

/** What goes between braces: the placeholder words, punctuation, numbers and strings, in any order. */
const INNER = ['text', 'textB', 'mask', 'soft', 'field', 'choice', 'shorten', 'lower', 'nopunct', '#', ':', '|', '"x y"', '"', '\\"', '3', '0', '513', ' ', 'a', '\\', '{', 'é', '-', '.'];
const placeholder = fc
  .tuple(fc.array(fc.constantFrom(...INNER), { maxLength: 6 }), fc.boolean())
  .map(([inner, close]) => `{${inner.join('')}${close ? '}' : ''}`);
const nearMiss = fc
  .array(fc.oneof({ arbitrary: placeholder, weight: 3 }, { arbitrary: fc.constantFrom(...PIECES), weight: 2 }, { arbitrary: fc.string({ maxLength: 3 }), weight: 1 }), { maxLength: 10 })
  .map((parts) => parts.join(''));
const anyUnicode = fc.string({ unit: 'binary', maxLength: 40 });

/**
 * Strings the lexer accepts (closed placeholders of valid tokens, escaped text), so that the
 * parser's own checks (placeholder grammar, one mask, soft sizes and ids) are what gets exercised.
 */
const VALID_INNER = ['text', 'textB', 'mask', 'soft', 'field', 'choice', 'shorten', 'lower', 'nopunct', 'x', '#', ':', '|', '"x y"', '""', '3', '0', '513', ' '];
const VALID_TEXT = ['It was ', '. ', 'é', '😀', '\\{', '\\}', '\\\\', '\n', 'Q: '];
const lexable = fc
  .array(
    fc.oneof(
      { arbitrary: fc.array(fc.constantFrom(...VALID_INNER), { maxLength: 5 }).map((inner) => `{${inner.join('')}}`), weight: 2 },
      { arbitrary: fc.constantFrom(...VALID_TEXT), weight: 1 },
    ),
    { maxLength: 6 },
  )
  .map((parts) => parts.join(''));

/** Parsing either succeeds (and then round-trips) or throws a typed error whose position is right. */
function check(source: string): void {
  let ast;
  try {
    ast = parseTemplate(source);
  } catch (err) {
    if (!isPandaError(err, 'TEMPLATE_INVALID')) throw new Error(`untyped failure for ${JSON.stringify(source)}: ${String(err)}`);
    const { position, line, column } = err.details as { position: number; line: number; column: number };
    expect(Number.isInteger(position) && position >= 0 && position <= source.length).toBe(true);
    expect(locate(source, position)).toEqual({ position, line, column });
    expect(err.message).toMatch(/^template \d+:\d+: /);
    return;
  }
  expect(parseTemplate(printTemplate(ast))).toEqual(ast);
}

describe('parser fuzz (fast-check)', () => {
  it('never crashes on 5,000 near-miss template strings: a tree or a TEMPLATE_INVALID with a true position', () => {
    fc.assert(fc.property(nearMiss, check), { numRuns: 5000, seed: 20261127 });
  });

  it('never crashes on 5,000 strings the lexer accepts (parser checks exercised)', () => {
    fc.assert(fc.property(lexable, check), { numRuns: 5000, seed: 13 });
  });

  it('never crashes on 5,000 arbitrary Unicode strings', () => {
    fc.assert(fc.property(anyUnicode, check), { numRuns: 5000, seed: 7 });
  });

  it('reaches both outcomes (sanity: the generators are not all errors or all trees)', () => {
    let ok = 0;
    let bad = 0;
    fc.assert(
      fc.property(fc.oneof(nearMiss, lexable), (s) => {
        try {
          parseTemplate(s);
          ok++;
        } catch {
          bad++;
        }
      }),
      { numRuns: 2000, seed: 3 },
    );
    expect(ok).toBeGreaterThan(100);
    expect(bad).toBeGreaterThan(100);
  });
});
