import { PandaError } from '@panda/core';
import type { Template } from '../syntax/template.js';
import { fieldValue, type TemplateInput } from './fields.js';

export interface RenderTextOptions {
  /** What `{mask}` becomes (a label word, a description, `[MASK]`, or '' to leave it out). Default ''. */
  mask?: string;
  /**
   * Soft tokens have no text: 'drop' leaves them out, 'error' (default) refuses a template that has
   * them (render token ids with {@link renderTokens} instead).
   */
  soft?: 'drop' | 'error';
  /**
   * Fill the given fields with '' instead of the example's values (the "label view" of a template:
   * its text with the input left out, e.g. `It was great.`).
   */
  blankFields?: boolean;
}

/** Collapses runs of spaces and tabs to one space, drops spaces around line breaks, trims. */
export function tidySpaces(text: string): string {
  return text.replace(/[ \t]+/g, ' ').replace(/ *\n */g, '\n').trim();
}

/**
 * Renders a template to a string for one example (no truncation: for that, and for soft tokens,
 * see {@link renderTokens}). Spaces are tidied: runs collapse to one and leading/trailing space goes.
 *
 * @example renderText(Template.parse('{text} It was {mask}.'), { text: 'A gem.' }, { mask: 'great' })
 *   // 'A gem. It was great.'
 */
export function renderText(template: Template, input: TemplateInput, options: RenderTextOptions = {}): string {
  let out = '';
  for (const node of template.ast.nodes) {
    switch (node.kind) {
      case 'text':
        out += node.value;
        break;
      case 'field':
        out += options.blankFields ? '' : fieldValue(node, input);
        break;
      case 'mask':
        out += options.mask ?? '';
        break;
      case 'soft':
        if (options.soft !== 'drop') {
          throw new PandaError('TEMPLATE_INVALID', `template '${template.name ?? template.source}' has soft tokens, which have no text; use renderTokens, or pass { soft: 'drop' }`);
        }
        break;
    }
  }
  return tidySpaces(out);
}
