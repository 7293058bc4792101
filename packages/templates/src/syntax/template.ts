import { PandaError } from '@panda/core';
import { fieldKeys, hasMask, normalizeAst, type TemplateAst } from './ast.js';
import { parseTemplate } from './parser.js';
import { printTemplate } from './printer.js';

/**
 * A parsed template: its source, its tree and a few facts about it. Build one with
 * {@link Template.parse} (from source) or {@link Template.fromAst} (from a tree).
 *
 * @example
 * const t = Template.parse('{text|shorten} It was {mask}.');
 * t.fields; // ['text']
 */
export class Template {
  /** Canonical source (what {@link printTemplate} writes for the tree). */
  readonly source: string;
  readonly ast: TemplateAst;
  /** Optional name (families, search candidates, PromptSource ids). */
  readonly name: string | undefined;

  private constructor(ast: TemplateAst, name?: string) {
    this.ast = ast;
    this.source = printTemplate(ast);
    this.name = name;
  }

  /** @throws PandaError `TEMPLATE_INVALID` with the position of the problem. */
  static parse(source: string, name?: string): Template {
    return new Template(parseTemplate(source), name);
  }

  /** A template from a tree (normalised; validated by printing and parsing it back). */
  static fromAst(ast: TemplateAst, name?: string): Template {
    const normal = normalizeAst(ast);
    // Re-parsing enforces the rules the parser checks across nodes (one mask, consistent soft ids).
    return new Template(parseTemplate(printTemplate(normal)), name);
  }

  /** Input fields the template reads (`text`, `textB`, `field:x`, `choice:0`). */
  get fields(): string[] {
    return fieldKeys(this.ast);
  }

  get hasMask(): boolean {
    return hasMask(this.ast);
  }

  /** True when the template has soft tokens. */
  get hasSoft(): boolean {
    return this.ast.nodes.some((n) => n.kind === 'soft');
  }

  /** A copy with another name. */
  named(name: string): Template {
    return new Template(this.ast, name);
  }

  /** Throws unless the template has exactly one `{mask}` (what classification by a verbalizer needs). */
  requireMask(): void {
    if (!this.hasMask) {
      throw new PandaError('TEMPLATE_INVALID', `template '${this.name ?? this.source}' has no {mask}; a verbalizer needs one (e.g. '{text} It was {mask}.')`);
    }
  }

  toString(): string {
    return this.source;
  }
}
