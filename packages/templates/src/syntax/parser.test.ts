import { describe, expect, it } from 'vitest';
import { isPandaError, type PandaError } from '@panda/core';
import { parseTemplate } from './parser.js';
import { printTemplate } from './printer.js';
import { Template } from './template.js';

function parseError(source: string): PandaError {
  try {
    parseTemplate(source);
  } catch (err) {
    if (isPandaError(err, 'TEMPLATE_INVALID')) return err;
    throw err;
  }
  throw new Error(`expected '${source}' to fail`);
}

describe('parseTemplate', () => {
  it('parses a cloze template into text, field and mask nodes', () => {
    expect(parseTemplate('{text|shorten} It was {mask}.')).toEqual({
      nodes: [
        { kind: 'field', ref: { source: 'text' }, modifiers: ['shorten'] },
        { kind: 'text', value: ' It was ' },
        { kind: 'mask' },
        { kind: 'text', value: '.' },
      ],
    });
  });

  it('parses every field form and orders modifiers canonically', () => {
    const ast = parseTemplate('{textB}{field:question}{field:"odd name"}{choice:1}{ text | shorten | lower }{text|nopunct|lower}');
    expect(ast.nodes).toEqual([
      { kind: 'field', ref: { source: 'textB' }, modifiers: [] },
      { kind: 'field', ref: { source: 'fields', name: 'question' }, modifiers: [] },
      { kind: 'field', ref: { source: 'fields', name: 'odd name' }, modifiers: [] },
      { kind: 'field', ref: { source: 'choice', index: 1 }, modifiers: [] },
      { kind: 'field', ref: { source: 'text' }, modifiers: ['lower', 'shorten'] },
      { kind: 'field', ref: { source: 'text' }, modifiers: ['lower', 'nopunct'] },
    ]);
  });

  it('parses soft tokens with ids, counts and init words', () => {
    expect(parseTemplate('{soft}{soft:3}{soft:"It was"}{soft#a}{soft#b:2}{soft#c:"great \\"film\\""}{soft#7}').nodes).toEqual([
      { kind: 'soft', id: null, count: null, init: null },
      { kind: 'soft', id: null, count: 3, init: null },
      { kind: 'soft', id: null, count: null, init: 'It was' },
      { kind: 'soft', id: 'a', count: null, init: null },
      { kind: 'soft', id: 'b', count: 2, init: null },
      { kind: 'soft', id: 'c', count: null, init: 'great "film"' },
      { kind: 'soft', id: '7', count: null, init: null },
    ]);
  });

  it('reads escapes as literal braces and backslashes', () => {
    expect(parseTemplate('a \\{b\\} \\\\ c').nodes).toEqual([{ kind: 'text', value: 'a {b} \\ c' }]);
    expect(printTemplate(parseTemplate('a \\{b\\} \\\\ c'))).toBe('a \\{b\\} \\\\ c');
  });

  it('gives an empty template no nodes and keeps newlines', () => {
    expect(parseTemplate('').nodes).toEqual([]);
    expect(parseTemplate('Q:\n{text}').nodes[0]).toEqual({ kind: 'text', value: 'Q:\n' });
  });

  it('allows a shared soft id declared once and referenced again', () => {
    const t = Template.parse('{soft#p:2} {text} {soft#p} {mask}');
    expect(t.hasSoft).toBe(true);
    expect(t.fields).toEqual(['text']);
  });

  // [source, position, line, column, message fragment]
  const cases: Array<[string, number, number, number, string]> = [
    ['It was {mask', 7, 1, 8, "'{' is never closed"],
    ['It was mask}.', 11, 1, 12, "'}' without an opening '{'"],
    ['{txt} was', 1, 1, 2, "unknown placeholder 'txt' (did you mean 'text'?)"],
    ['ok {}', 3, 1, 4, "empty placeholder '{}'"],
    ['{text|shortn}', 6, 1, 7, "unknown modifier 'shortn' (did you mean 'shorten'?)"],
    ['{text|shorten|shorten}', 14, 1, 15, "modifier 'shorten' is given twice"],
    ['{mask} and {mask}', 11, 1, 12, 'at most one {mask}'],
    ['{mask|shorten}', 5, 1, 6, '{mask} takes no options'],
    ['line one\nline {two}', 15, 2, 7, "unknown placeholder 'two'"],
    ['{soft:0}', 6, 1, 7, 'between 1 and 512'],
    ['{soft:513}', 6, 1, 7, 'between 1 and 512'],
    ['{soft:"  "}', 6, 1, 7, 'init words of a soft token are empty'],
    ['{soft:"open}', 6, 1, 7, 'string is never closed'],
    ['{soft#}', 6, 1, 7, "expected an id after '#'"],
    ['{soft#a:2} {soft#a:3}', 11, 1, 12, 'declared twice'],
    ['{field}', 6, 1, 7, "'field' needs a name"],
    ['{field:}', 7, 1, 8, 'expected a field name'],
    ['{choice:x}', 8, 1, 9, 'expected a choice index'],
    ['{text:3}', 5, 1, 6, "'text' takes no ':' option"],
    ['{text {mask}}', 6, 1, 7, "'{' inside a placeholder"],
    ['a \\n b', 2, 1, 3, "unknown escape '\\n'"],
    ['trailing \\', 9, 1, 10, "lone '\\'"],
    ['{te$t}', 3, 1, 4, "unexpected '$'"],
    ['{3abc}', 1, 1, 2, 'neither a number nor a name'],
    ['{"text"}', 1, 1, 2, 'starts with a name'],
    ['{text\u0001}', 5, 1, 6, 'control character U+0001'],
  ];

  it.each(cases)('rejects %j at %i (%i:%i) with a readable message', (source, position, line, column, fragment) => {
    const err = parseError(source);
    expect(err.code).toBe('TEMPLATE_INVALID');
    expect(err.details).toMatchObject({ position, line, column });
    expect(err.message).toContain(fragment);
    expect(err.message.startsWith(`template ${line}:${column}: `)).toBe(true);
    // The message shows the offending line with a caret under the column.
    const [, shown, caret] = err.message.split('\n');
    expect(caret!.indexOf('^')).toBe(column + 1);
    expect(shown!.trim().length).toBeGreaterThan(0);
  });
});

describe('Template', () => {
  it('keeps a canonical source and reports fields and mask', () => {
    const t = Template.parse('{ text | shorten }  It was {mask}.', 'mine');
    expect(t.source).toBe('{text|shorten}  It was {mask}.');
    expect(t.name).toBe('mine');
    expect(t.hasMask).toBe(true);
    expect(Template.parse('{text}').hasMask).toBe(false);
    expect(() => Template.parse('{text}').requireMask()).toThrow(/has no \{mask\}/);
  });

  it('builds from a tree, merging adjacent text and rejecting trees the parser would reject', () => {
    const t = Template.fromAst({ nodes: [{ kind: 'text', value: 'a' }, { kind: 'text', value: '' }, { kind: 'text', value: 'b{' }, { kind: 'mask' }] });
    expect(t.ast.nodes).toEqual([{ kind: 'text', value: 'ab{' }, { kind: 'mask' }]);
    expect(t.source).toBe('ab\\{{mask}');
    expect(() => Template.fromAst({ nodes: [{ kind: 'mask' }, { kind: 'mask' }] })).toThrow(/at most one/);
    expect(() => Template.fromAst({ nodes: [{ kind: 'soft', id: 'a b', count: null, init: null }] })).toThrow(/soft id/);
    expect(() => Template.fromAst({ nodes: [{ kind: 'soft', id: 'x', count: 2, init: null }, { kind: 'soft', id: 'x', count: 3, init: null }] })).toThrow(/declared twice/);
  });
});
