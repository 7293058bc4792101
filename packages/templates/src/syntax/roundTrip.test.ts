import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FIELD_MODIFIERS, normalizeAst, type FieldSource, type TemplateAst, type TemplateNode } from './ast.js';
import { parseTemplate } from './parser.js';
import { printTemplate } from './printer.js';

const textValue = fc.string({ unit: fc.constantFrom('a', 'B', ' ', '{', '}', '\\', '"', '|', ':', '#', '\n', 'é', '😀', '.'), minLength: 1, maxLength: 12 });
const fieldName = fc.oneof(fc.constantFrom('question', 'premise', 'a.b', '_x', 'span-1'), fc.string({ minLength: 1, maxLength: 6 }));
const ref: fc.Arbitrary<FieldSource> = fc.oneof(
  fc.constant({ source: 'text' } as const),
  fc.constant({ source: 'textB' } as const),
  fieldName.map((name) => ({ source: 'fields', name }) as const),
  fc.nat({ max: 1000 }).map((index) => ({ source: 'choice', index }) as const),
);
const initWords = fc.string({ minLength: 1, maxLength: 10 }).filter((s) => s.trim() !== '');
const node: fc.Arbitrary<TemplateNode> = fc.oneof(
  textValue.map((value) => ({ kind: 'text', value }) as const),
  fc.record({ kind: fc.constant('field' as const), ref, modifiers: fc.subarray([...FIELD_MODIFIERS]) }),
  fc.constant({ kind: 'mask' } as const),
  fc.record({
    kind: fc.constant('soft' as const),
    id: fc.option(fc.constantFrom('a', 'b', 'p1', '7', 'x-y', 'z.0'), { nil: null }),
    spec: fc.oneof(fc.constant({ count: null, init: null }), fc.integer({ min: 1, max: 512 }).map((count) => ({ count, init: null })), initWords.map((init) => ({ count: null, init }))),
  }).map(({ kind, id, spec }) => ({ kind, id, ...spec })),
);

/** Trees the language can express: one mask at most, and each soft id sized one way. */
const tree: fc.Arbitrary<TemplateAst> = fc.array(node, { maxLength: 16 }).map((nodes) => {
  let masks = 0;
  const sized = new Map<string, string>();
  const out: TemplateNode[] = [];
  for (const n of nodes) {
    if (n.kind === 'mask' && masks++ > 0) continue;
    if (n.kind === 'soft' && n.id !== null && (n.count !== null || n.init !== null)) {
      const spec = JSON.stringify([n.count, n.init]);
      const prior = sized.get(n.id);
      if (prior !== undefined && prior !== spec) {
        out.push({ kind: 'soft', id: n.id, count: null, init: null });
        continue;
      }
      sized.set(n.id, spec);
    }
    out.push(n);
  }
  return { nodes: out };
});

describe('round trip: print then parse', () => {
  it('gives back the same (normalised) tree for 3,000 generated trees', () => {
    fc.assert(
      fc.property(tree, (t) => {
        const printed = printTemplate(t);
        expect(parseTemplate(printed)).toEqual(normalizeAst(t));
        expect(printTemplate(parseTemplate(printed))).toBe(printed);
      }),
      { numRuns: 3000, seed: 11 },
    );
  });

  it('normalisation merges text, drops empty text and orders modifiers', () => {
    expect(
      normalizeAst({
        nodes: [
          { kind: 'text', value: 'a' },
          { kind: 'text', value: '' },
          { kind: 'text', value: 'b' },
          { kind: 'field', ref: { source: 'text' }, modifiers: ['shorten', 'lower', 'shorten'] },
        ],
      }),
    ).toEqual({ nodes: [{ kind: 'text', value: 'ab' }, { kind: 'field', ref: { source: 'text' }, modifiers: ['lower', 'shorten'] }] });
  });
});
