import { PandaError } from '@panda/core';
import type { Tokenizer } from '@panda/backbones';
import type { Template } from '../syntax/template.js';
import { softLayout, type SoftLayout } from '../soft/softLayout.js';
import { fieldValue, type TemplateInput } from './fields.js';

/** How the mask appears in the token ids: a vocabulary id (an MLM's `[MASK]`) or text (a label word, a placeholder). */
export type MaskRendering = { id: number } | { text: string };

export interface RenderTokensOptions {
  tokenizer: Pick<Tokenizer, 'encode' | 'padId'>;
  /** Most ids the result may have (soft positions and the mask included), e.g. `encoder.maxPositions − m`. */
  maxLength: number;
  /** Default `{ text: '' }`. */
  mask?: MaskRendering;
  /** Id written at soft-token positions (the tuner replaces those rows). Default `tokenizer.padId`. */
  softId?: number;
  /**
   * Which shortenable field loses tokens first: 'longest-first' (default; cut the currently longest,
   * so pairs stay balanced, OpenPrompt's `balanced`) or 'tail' (the last shortenable field first).
   */
  truncation?: 'longest-first' | 'tail';
  /** The template's soft layout, if already computed (saves re-tokenizing init words). */
  layout?: SoftLayout;
}

/** A rendered example. */
export interface RenderedTokens {
  ids: number[];
  /** Position of the mask id, when the mask was rendered as an id. */
  maskPosition: number | null;
  /** Each soft-token position and the prompt-table row it takes (see {@link SoftLayout}). */
  soft: Array<{ position: number; row: number }>;
  /** Tokens removed from shortenable fields to fit `maxLength` (0 when nothing was cut). */
  truncated: number;
  /** The text of each text run (between special tokens), as finally encoded; for inspection. */
  runs: string[];
}

type Piece =
  | { kind: 'text'; text: string; shortenable: false }
  | { kind: 'field'; text: string; shortenable: true; index: number }
  | { kind: 'mask'; id: number }
  | { kind: 'soft'; rows: number[] };

/** The longest prefix of `text` (whole words where possible) that encodes to at most `budget` tokens. */
function cutToBudget(text: string, budget: number, encode: (t: string) => number[]): string {
  if (budget <= 0) return '';
  if (encode(text).length <= budget) return text;
  const words = text.split(/(?<=\s)(?=\S)/); // words with their trailing whitespace
  let lo = 0;
  let hi = words.length; // invariant: prefix of lo words fits; hi words does not (checked above for all)
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (encode(words.slice(0, mid).join('').trimEnd()).length <= budget) lo = mid;
    else hi = mid;
  }
  if (lo > 0) return words.slice(0, lo).join('').trimEnd();
  // Not even one word fits: cut the first word by characters (code points).
  const chars = [...(words[0] ?? '')];
  let a = 0;
  let b = chars.length;
  while (b - a > 1) {
    const mid = (a + b) >> 1;
    if (encode(chars.slice(0, mid).join('')).length <= budget) a = mid;
    else b = mid;
  }
  return chars.slice(0, a).join('');
}

/**
 * Renders a template to token ids for one example, within `maxLength`. Only fields marked
 * `|shorten` are ever cut (from their end, at word boundaries where possible); template text, the
 * mask and soft tokens are kept whole.
 *
 * Text between special tokens (soft tokens, an id mask) is encoded as one run, so words join as
 * the tokenizer would join them in a sentence; each run is trimmed (a SentencePiece tokenizer starts
 * every run at a word boundary).
 *
 * @throws PandaError `PROMPT_TOO_LONG` when the parts that may not be cut exceed `maxLength` on
 *   their own; `TEMPLATE_INVALID` when the example lacks a field.
 */
export function renderTokens(template: Template, input: TemplateInput, options: RenderTokensOptions): RenderedTokens {
  const { tokenizer, maxLength } = options;
  if (!Number.isInteger(maxLength) || maxLength < 1) throw new PandaError('CONFIG_INVALID', `maxLength must be a positive integer, got ${maxLength}`);
  const encode = (t: string): number[] => (t.trim() === '' ? [] : tokenizer.encode(t.trim()));
  const layout = options.layout ?? softLayout(template, tokenizer);
  const groupOf = new Map(layout.groups.map((g) => [g.key, g]));
  const mask = options.mask ?? { text: '' };
  const softId = options.softId ?? tokenizer.padId;

  const pieces: Piece[] = [];
  let softNode = 0;
  let fieldIndex = 0;
  for (const node of template.ast.nodes) {
    if (node.kind === 'text') pieces.push({ kind: 'text', text: node.value, shortenable: false });
    else if (node.kind === 'mask') pieces.push('id' in mask ? { kind: 'mask', id: mask.id } : { kind: 'text', text: mask.text, shortenable: false });
    else if (node.kind === 'soft') {
      const g = groupOf.get(layout.nodeGroups[softNode++]!)!;
      pieces.push({ kind: 'soft', rows: Array.from({ length: g.count }, (_, k) => g.offset + k) });
    } else {
      const text = fieldValue(node, input);
      if (node.modifiers.includes('shorten')) pieces.push({ kind: 'field', text, shortenable: true, index: fieldIndex++ });
      else pieces.push({ kind: 'text', text, shortenable: false });
    }
  }

  const assemble = (texts: ReadonlyMap<number, string>): RenderedTokens & { length: number } => {
    const ids: number[] = [];
    const soft: RenderedTokens['soft'] = [];
    const runs: string[] = [];
    let maskPosition: number | null = null;
    let run = '';
    const flush = (): void => {
      const t = run.replace(/[ \t]+/g, ' ').trim();
      if (t !== '') {
        runs.push(t);
        ids.push(...encode(t));
      }
      run = '';
    };
    for (const p of pieces) {
      if (p.kind === 'text') run += p.text;
      else if (p.kind === 'field') run += texts.get(p.index) ?? p.text;
      else {
        flush();
        if (p.kind === 'mask') {
          maskPosition = ids.length;
          ids.push(p.id);
        } else {
          for (const row of p.rows) {
            soft.push({ position: ids.length, row });
            ids.push(softId);
          }
        }
      }
    }
    flush();
    return { ids, soft, runs, maskPosition, truncated: 0, length: ids.length };
  };

  const full = assemble(new Map());
  if (full.length <= maxLength) return strip(full);

  const fields = pieces.filter((p): p is Extract<Piece, { kind: 'field' }> => p.kind === 'field');
  const budgets = new Map(fields.map((f) => [f.index, encode(f.text).length]));
  const original = [...budgets.values()].reduce((a, b) => a + b, 0);
  const take = (excess: number): boolean => {
    // Removes `excess` tokens from the budgets; false if they run out.
    for (let k = 0; k < excess; k++) {
      let pick: number | undefined;
      if (options.truncation === 'tail') {
        for (const f of fields) if ((budgets.get(f.index) ?? 0) > 0) pick = f.index;
      } else {
        let best = 0;
        for (const f of fields) {
          const b = budgets.get(f.index) ?? 0;
          if (b > best) {
            best = b;
            pick = f.index;
          }
        }
      }
      if (pick === undefined) return false;
      budgets.set(pick, budgets.get(pick)! - 1);
    }
    return true;
  };
  const tooLong = (): PandaError => {
    const fixed = assemble(new Map(fields.map((f) => [f.index, '']))).length;
    return new PandaError(
      'PROMPT_TOO_LONG',
      `template '${template.name ?? template.source}' needs ${fixed} tokens without its shortenable fields, more than maxLength ${maxLength}` +
        (fields.length === 0 ? '; mark a long field {text|shorten} so it may be cut' : ''),
      { details: { fixedTokens: fixed, maxLength } },
    );
  };
  if (fields.length === 0 || !take(full.length - maxLength)) throw tooLong();
  // Joint tokenization can differ from the per-field counts by a token or two: tighten until it fits.
  for (let attempt = 0; attempt < 64; attempt++) {
    const texts = new Map(fields.map((f) => [f.index, cutToBudget(f.text, budgets.get(f.index)!, encode)]));
    const out = assemble(texts);
    if (out.length <= maxLength) {
      const kept = fields.reduce((a, f) => a + encode(texts.get(f.index)!).length, 0);
      return strip({ ...out, truncated: original - kept });
    }
    if (!take(out.length - maxLength)) break;
  }
  throw tooLong();
}

function strip(r: RenderedTokens & { length: number }): RenderedTokens {
  return { ids: r.ids, maskPosition: r.maskPosition, soft: r.soft, truncated: r.truncated, runs: r.runs };
}
