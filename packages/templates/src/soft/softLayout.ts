import type { Tokenizer } from '@panda/backbones';
import type { Template } from '../syntax/template.js';

/** One group of soft rows: the rows every node with its id shares. */
export interface SoftGroup {
  /** The template id (`#name`), or `@<n>` for the n-th anonymous soft node (0-based). */
  key: string;
  /** Rows in the group. */
  count: number;
  /** Init words, when the template gives them. */
  init: string | null;
  /** Token ids of the init words (length = count), when given. */
  initIds: number[] | null;
  /** Index of the group's first row in the prompt table. */
  offset: number;
}

/**
 * Where a template's soft tokens live in a prompt table of `rows` rows: groups in first-use order,
 * rows contiguous per group. A tuner keeps a [rows, embedDim] table and, for each rendered
 * example, puts row `r` at each position {@link RenderedTokens.soft} names.
 */
export interface SoftLayout {
  rows: number;
  groups: SoftGroup[];
  /** For each soft node of the template, in order, the group key it uses. */
  nodeGroups: string[];
}

/**
 * Lays out the soft rows of a template. A node `{soft:"It was"}` gets one row per token of the words
 * under `tokenizer`; `{soft:3}` three rows; `{soft}` one; `{soft#a}` the rows of group `a` (one row if
 * `a` is never given a size).
 */
export function softLayout(template: Template, tokenizer: Pick<Tokenizer, 'encode'>): SoftLayout {
  const groups: SoftGroup[] = [];
  const byKey = new Map<string, SoftGroup>();
  const nodeGroups: string[] = [];
  // Sizes first: a shared id may be sized on a later node than its first use.
  const sized = new Map<string, { count: number | null; init: string | null }>();
  for (const n of template.ast.nodes) {
    if (n.kind === 'soft' && n.id !== null && (n.count !== null || n.init !== null)) sized.set(n.id, { count: n.count, init: n.init });
  }
  let anon = 0;
  let offset = 0;
  for (const n of template.ast.nodes) {
    if (n.kind !== 'soft') continue;
    const key = n.id === null ? `@${anon++}` : `#${n.id}`;
    nodeGroups.push(key);
    if (byKey.has(key)) continue;
    const spec = n.id === null ? { count: n.count, init: n.init } : (sized.get(n.id) ?? { count: null, init: null });
    const initIds = spec.init !== null ? tokenizer.encode(spec.init) : null;
    const count = initIds !== null ? Math.max(1, initIds.length) : (spec.count ?? 1);
    const group: SoftGroup = { key, count, init: spec.init, initIds: initIds && initIds.length > 0 ? initIds : null, offset };
    offset += count;
    groups.push(group);
    byKey.set(key, group);
  }
  return { rows: offset, groups, nodeGroups };
}
