import { Template as JinjaTemplate } from '@huggingface/jinja';

/** Names a template may use without the dataset providing them. */
export const JINJA_GLOBALS = new Set(['answer_choices', 'zip', 'range', 'namespace', 'loop', 'true', 'false', 'none', 'True', 'False', 'None', 'raise_exception']);

interface AstNode {
  type: string;
  [key: string]: unknown;
}

function isNode(v: unknown): v is AstNode {
  return typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string';
}

function bindTarget(target: unknown, bound: Set<string>): void {
  if (!isNode(target)) return;
  if (target.type === 'Identifier') bound.add(String(target['value']));
  else if (target.type === 'TupleLiteral' || target.type === 'ArrayLiteral') for (const t of target['value'] as unknown[]) bindTarget(t, bound);
}

/**
 * The free variables a Jinja source reads (what the dataset must provide), from the parsed tree of
 * `@huggingface/jinja`: identifiers, minus attribute names (`x.y` reads `x`), filter and test names,
 * keyword-argument names, loop and `set` targets, and {@link JINJA_GLOBALS}.
 * @throws the parser's SyntaxError for invalid Jinja.
 */
export function jinjaVariables(source: string): string[] {
  const program = new JinjaTemplate(source).parsed as unknown as AstNode;
  const used = new Set<string>();
  const bound = new Set<string>();
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(visit);
    if (v instanceof Map) {
      for (const [k, val] of v) {
        visit(k);
        visit(val);
      }
      return;
    }
    if (!isNode(v)) return;
    switch (v.type) {
      case 'Identifier':
        used.add(String(v['value']));
        return;
      case 'MemberExpression':
        visit(v['object']);
        if (v['computed']) visit(v['property']);
        return;
      case 'FilterExpression':
        visit(v['operand']);
        if (isNode(v['filter']) && v['filter'].type === 'CallExpression') visit(v['filter']['args']);
        return;
      case 'FilterStatement':
        if (isNode(v['filter']) && v['filter'].type === 'CallExpression') visit(v['filter']['args']);
        visit(v['body']);
        return;
      case 'TestExpression':
        visit(v['operand']);
        return;
      case 'KeywordArgumentExpression':
        visit(v['value']);
        return;
      case 'For':
        bindTarget(v['loopvar'], bound);
        visit(v['iterable']);
        visit(v['body']);
        visit(v['defaultBlock']);
        return;
      case 'Set':
        bindTarget(v['assignee'], bound);
        visit(v['value']);
        visit(v['body']);
        return;
      case 'Macro':
        bindTarget(v['name'], bound);
        return;
      default:
        for (const [key, child] of Object.entries(v)) if (key !== 'type') visit(child);
    }
  };
  visit(program);
  return [...used].filter((n) => !bound.has(n) && !JINJA_GLOBALS.has(n)).sort();
}
