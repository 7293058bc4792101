/**
 * The typed tree a template parses into. Nodes carry no source positions, so a tree printed by
 * {@link printTemplate} and parsed again is deep-equal to the original (see `roundTrip.test.ts`).
 *
 * Based on OpenPrompt's `MixedTemplate` (text, `placeholder`, `mask`, `soft` with `soft_id` and
 * init words, `shortenable`), with a real grammar instead of Python `eval`.
 */

/** Literal template text. Never shortened. */
export interface TextNode {
  readonly kind: 'text';
  readonly value: string;
}

/**
 * Where an input field's value comes from: the example's `text`, `textB`, one of its named
 * `fields` (`{field:question}`), or one of its multiple-choice `choices` (`{choice:0}`).
 */
export type FieldSource =
  | { readonly source: 'text' }
  | { readonly source: 'textB' }
  | { readonly source: 'fields'; readonly name: string }
  | { readonly source: 'choice'; readonly index: number };

/**
 * What a field does to its value. `shorten`: the value may be cut from the end to fit the model's
 * maximum length (the only parts rendering ever truncates). `lower`: lower-cased. `nopunct`: trailing
 * punctuation removed (LM-BFF's `*-1*`, so "… great movie. It was [MASK]." reads naturally).
 */
export const FIELD_MODIFIERS = ['lower', 'nopunct', 'shorten'] as const;
export type FieldModifier = (typeof FIELD_MODIFIERS)[number];

/** An input field. `modifiers` are unique and in {@link FIELD_MODIFIERS} order. */
export interface FieldNode {
  readonly kind: 'field';
  readonly ref: FieldSource;
  readonly modifiers: readonly FieldModifier[];
}

/** The slot the model fills (`[MASK]` for an MLM; the label word or description for a sentence encoder). */
export interface MaskNode {
  readonly kind: 'mask';
}

/**
 * Trainable soft tokens. `id` names a group whose rows are shared by every node with that id
 * (`{soft#a}` twice means the same vectors twice); `null` means a fresh anonymous group. `count`
 * gives the number of tokens, or `init` gives words whose tokens both set the count (one soft token per
 * token of the words, under the model's tokenizer) and initialise the rows. A node with an id and
 * neither `count` nor `init` refers to the group declared elsewhere in the template (or is one token).
 */
export interface SoftNode {
  readonly kind: 'soft';
  readonly id: string | null;
  readonly count: number | null;
  readonly init: string | null;
}

export type TemplateNode = TextNode | FieldNode | MaskNode | SoftNode;

/** A parsed template: nodes in order. Canonical: no empty text nodes, no two text nodes adjacent. */
export interface TemplateAst {
  readonly nodes: readonly TemplateNode[];
}

/** Largest soft-token count one node may ask for. */
export const MAX_SOFT_COUNT = 512;

/** Field names: `{field:<name>}`; letters, digits, `_`, `-`, `.`, not starting with a digit. */
export const FIELD_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
/** Soft-token ids: `{soft#<id>}`; a name as for fields, or digits (`{soft#1}`). */
export const SOFT_ID_PATTERN = /^(?:[A-Za-z_][A-Za-z0-9_.-]*|[0-9]+)$/;

/**
 * The canonical form of a tree: empty text nodes dropped, adjacent text nodes merged, modifiers
 * unique and sorted. The parser returns canonical trees; the printer accepts any tree.
 */
export function normalizeAst(ast: TemplateAst): TemplateAst {
  const nodes: TemplateNode[] = [];
  for (const node of ast.nodes) {
    if (node.kind === 'text') {
      if (node.value === '') continue;
      const last = nodes.at(-1);
      if (last?.kind === 'text') nodes[nodes.length - 1] = { kind: 'text', value: last.value + node.value };
      else nodes.push({ kind: 'text', value: node.value });
    } else if (node.kind === 'field') {
      const modifiers = FIELD_MODIFIERS.filter((m) => node.modifiers.includes(m));
      nodes.push({ kind: 'field', ref: { ...node.ref }, modifiers });
    } else if (node.kind === 'soft') {
      nodes.push({ kind: 'soft', id: node.id, count: node.count, init: node.init });
    } else {
      nodes.push({ kind: 'mask' });
    }
  }
  return { nodes };
}

/** True when the template has a `{mask}`. */
export function hasMask(ast: TemplateAst): boolean {
  return ast.nodes.some((n) => n.kind === 'mask');
}

/** The distinct input fields a template reads, in first-use order (`text`, `textB`, `field:x`, `choice:0`). */
export function fieldKeys(ast: TemplateAst): string[] {
  const seen = new Set<string>();
  for (const n of ast.nodes) if (n.kind === 'field') seen.add(fieldKey(n.ref));
  return [...seen];
}

/** The placeholder spelling of a field reference (`text`, `textB`, `field:question`, `choice:1`). */
export function fieldKey(ref: FieldSource): string {
  switch (ref.source) {
    case 'text':
    case 'textB':
      return ref.source;
    case 'fields':
      return `field:${ref.name}`;
    case 'choice':
      return `choice:${ref.index}`;
  }
}
