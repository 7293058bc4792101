import { PandaError } from '@panda/core';
import { FIELD_MODIFIERS, FIELD_NAME_PATTERN, MAX_SOFT_COUNT, SOFT_ID_PATTERN, type FieldNode, type SoftNode, type TemplateAst, type TemplateNode } from './ast.js';

function invalid(message: string): PandaError {
  return new PandaError('TEMPLATE_INVALID', `cannot print template: ${message}`);
}

/** Escapes literal text: `\` → `\\`, `{` → `\{`, `}` → `\}`. */
export function escapeText(value: string): string {
  return value.replace(/[\\{}]/g, (c) => `\\${c}`);
}

function quote(value: string): string {
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

function printField(node: FieldNode): string {
  let head: string;
  switch (node.ref.source) {
    case 'text':
    case 'textB':
      head = node.ref.source;
      break;
    case 'fields':
      if (node.ref.name === '') throw invalid('a field name is empty');
      head = `field:${FIELD_NAME_PATTERN.test(node.ref.name) ? node.ref.name : quote(node.ref.name)}`;
      break;
    case 'choice':
      if (!Number.isSafeInteger(node.ref.index) || node.ref.index < 0) throw invalid(`choice index ${node.ref.index} is not a non-negative integer`);
      head = `choice:${node.ref.index}`;
      break;
  }
  const mods = FIELD_MODIFIERS.filter((m) => node.modifiers.includes(m));
  if (mods.length !== new Set(node.modifiers).size || node.modifiers.some((m) => !FIELD_MODIFIERS.includes(m))) {
    throw invalid(`unknown modifier in [${node.modifiers.join(', ')}]`);
  }
  return `{${head}${mods.map((m) => `|${m}`).join('')}}`;
}

function printSoft(node: SoftNode): string {
  let out = 'soft';
  if (node.id !== null) {
    if (!SOFT_ID_PATTERN.test(node.id)) throw invalid(`soft id '${node.id}' must match ${SOFT_ID_PATTERN}`);
    out += `#${node.id}`;
  }
  if (node.count !== null && node.init !== null) throw invalid('a soft node has both a count and init words');
  if (node.count !== null) {
    if (!Number.isSafeInteger(node.count) || node.count < 1 || node.count > MAX_SOFT_COUNT) throw invalid(`soft count ${node.count} is not in 1..${MAX_SOFT_COUNT}`);
    out += `:${node.count}`;
  }
  if (node.init !== null) {
    if (node.init.trim() === '') throw invalid('soft init words are empty');
    out += `:${quote(node.init)}`;
  }
  return `{${out}}`;
}

function printNode(node: TemplateNode): string {
  switch (node.kind) {
    case 'text':
      return escapeText(node.value);
    case 'field':
      return printField(node);
    case 'mask':
      return '{mask}';
    case 'soft':
      return printSoft(node);
  }
}

/**
 * Prints a tree as template source, in canonical spelling (no spaces inside braces, modifiers in
 * a fixed order). `parseTemplate(printTemplate(t))` equals `normalizeAst(t)` for every valid tree.
 * @throws PandaError `TEMPLATE_INVALID` for a tree no source could produce (two masks, a bad id, …).
 */
export function printTemplate(ast: TemplateAst): string {
  if (ast.nodes.filter((n) => n.kind === 'mask').length > 1) throw invalid('a template has at most one {mask}');
  return ast.nodes.map(printNode).join('');
}
