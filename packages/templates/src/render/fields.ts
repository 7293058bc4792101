import { PandaError } from '@panda/core';
import type { Example } from '@panda/datasets';
import { fieldKey, type FieldNode } from '../syntax/ast.js';

/** What a template reads from: a panda `Example`, or any object with the same optional parts. */
export type TemplateInput = Pick<Example, 'text'> & Partial<Pick<Example, 'id' | 'textB' | 'choices' | 'fields'>>;

/** Trailing punctuation `|nopunct` removes (ASCII and common Unicode sentence marks). */
const TRAILING_PUNCT = /[\s.,;:!?…。！？'"”’)\]-]+$/u;

/**
 * The value of a field node for one example, with its modifiers applied (`shorten` is applied by
 * rendering, not here). Values are trimmed.
 * @throws PandaError `TEMPLATE_INVALID` when the example lacks the field.
 */
export function fieldValue(node: FieldNode, input: TemplateInput): string {
  let value: string | undefined;
  switch (node.ref.source) {
    case 'text':
      value = input.text;
      break;
    case 'textB':
      value = input.textB;
      break;
    case 'fields':
      value = input.fields?.[node.ref.name];
      break;
    case 'choice':
      value = input.choices?.[node.ref.index];
      break;
  }
  if (value === undefined) {
    const what = input.id !== undefined ? `example ${input.id}` : 'the example';
    throw new PandaError('TEMPLATE_INVALID', `${what} has no value for {${fieldKey(node.ref)}}`, { details: { field: fieldKey(node.ref), exampleId: input.id } });
  }
  let out = value.trim();
  if (node.modifiers.includes('nopunct')) out = out.replace(TRAILING_PUNCT, '');
  if (node.modifiers.includes('lower')) out = out.toLowerCase();
  return out;
}
