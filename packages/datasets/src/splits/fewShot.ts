import { PandaError, Rng } from '@panda/core';
import type { Example } from '../types.js';

/** How to draw a few-shot training set. */
export type FewShotOptions =
  | {
      /** Examples per label (classification). */
      k: number;
      seed: number | string;
      /** Fail when a label has fewer than `k` examples (default true); false takes all it has and records the shortfall. */
      strict?: boolean;
    }
  | {
      /** Total examples, any labels (regression, or a plain random subset). */
      n: number;
      seed: number | string;
    }
  | {
      /** Whole groups (MultiRC questions with all their answers), drawn at random. */
      groups: number;
      seed: number | string;
    };

/** What was drawn, for run manifests: enough to redraw or audit the exact same set. */
export interface FewShotManifest {
  seed: string;
  /** `k` per label, `n` in total, or `groups` whole groups. */
  mode: 'k-per-label' | 'n' | 'groups';
  size: number;
  /** Ids of the sampled examples, in the returned order. */
  ids: string[];
  /** Sampled count per label index (classification; for regression all fall under their value). */
  perLabel: Record<string, number>;
  /** Labels that had fewer than `k` examples (non-strict mode): label → how many there were. */
  short?: Record<string, number>;
}

/**
 * Draws a few-shot set from `examples` deterministically for the seed: `k` per label (the usual
 * protocol, e.g. LM-BFF's k = 16), `n` in total, or whole groups. Items are taken in a seeded
 * shuffle of the input order, so the same input, options and seed always give the same ids,
 * which the manifest records. The result is shuffled (labels interleaved).
 */
export function fewShot(examples: readonly Example[], options: FewShotOptions): { examples: Example[]; manifest: FewShotManifest } {
  const seed = String(options.seed);
  const rng = new Rng(`few-shot/${seed}`);
  let picked: Example[];
  let mode: FewShotManifest['mode'];
  let size: number;
  let short: Record<string, number> | undefined;
  if ('k' in options) {
    if (!(Number.isInteger(options.k) && options.k > 0)) throw new PandaError('CONFIG_INVALID', `few-shot k must be a positive integer, got ${options.k}`);
    mode = 'k-per-label';
    size = options.k;
    const byLabel = new Map<number, Example[]>();
    for (const e of examples) {
      const list = byLabel.get(e.label) ?? [];
      list.push(e);
      byLabel.set(e.label, list);
    }
    picked = [];
    for (const label of [...byLabel.keys()].sort((a, b) => a - b)) {
      const group = byLabel.get(label)!;
      if (group.length < options.k) {
        if (options.strict ?? true) {
          throw new PandaError('CONFIG_INVALID', `few-shot: label ${label} has only ${group.length} examples, fewer than k = ${options.k}`, { details: { label, available: group.length, k: options.k } });
        }
        (short ??= {})[String(label)] = group.length;
      }
      picked.push(...rng.fork(`label/${label}`).shuffle([...group]).slice(0, options.k));
    }
  } else if ('n' in options) {
    if (!(Number.isInteger(options.n) && options.n > 0)) throw new PandaError('CONFIG_INVALID', `few-shot n must be a positive integer, got ${options.n}`);
    mode = 'n';
    size = options.n;
    if (options.n > examples.length) throw new PandaError('CONFIG_INVALID', `few-shot: asked for ${options.n} examples, only ${examples.length} available`);
    picked = rng.fork('n').shuffle([...examples]).slice(0, options.n);
  } else {
    if (!(Number.isInteger(options.groups) && options.groups > 0)) throw new PandaError('CONFIG_INVALID', `few-shot groups must be a positive integer, got ${options.groups}`);
    mode = 'groups';
    size = options.groups;
    const byGroup = new Map<string, Example[]>();
    for (const e of examples) {
      if (e.group === undefined) throw new PandaError('CONFIG_INVALID', `few-shot by groups: example ${e.id} has no group`);
      const list = byGroup.get(e.group) ?? [];
      list.push(e);
      byGroup.set(e.group, list);
    }
    if (options.groups > byGroup.size) throw new PandaError('CONFIG_INVALID', `few-shot: asked for ${options.groups} groups, only ${byGroup.size} available`);
    const chosen = rng.fork('groups').shuffle([...byGroup.keys()]).slice(0, options.groups);
    return finish(chosen.flatMap((g) => byGroup.get(g)!), { seed, mode, size }, undefined);
  }
  return finish(rng.fork('order').shuffle(picked), { seed, mode, size }, short);
}

function finish(picked: Example[], head: Pick<FewShotManifest, 'seed' | 'mode' | 'size'>, short: Record<string, number> | undefined): { examples: Example[]; manifest: FewShotManifest } {
  const perLabel: Record<string, number> = {};
  for (const e of picked) perLabel[String(e.label)] = (perLabel[String(e.label)] ?? 0) + 1;
  return { examples: picked, manifest: { ...head, ids: picked.map((e) => e.id), perLabel, ...(short ? { short } : {}) } };
}
