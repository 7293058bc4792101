import { PandaError, Rng } from '@panda/core';

/**
 * How many of each group's items go to the held-out part: the rounded proportional share, then
 * corrected by largest remainder so that the shares add up to exactly `heldOut`. (When plain
 * rounding already adds up, as for the spam split, this is plain rounding.)
 */
function quotas(sizes: readonly number[], heldOut: number, total: number): number[] {
  const exact = sizes.map((n) => (n * heldOut) / total);
  const out = exact.map((q) => Math.round(q));
  let diff = heldOut - out.reduce((a, b) => a + b, 0);
  const order = exact.map((q, i) => ({ i, r: q - out[i]! }));
  if (diff > 0) {
    order.sort((a, b) => b.r - a.r || a.i - b.i);
    for (const { i } of order) {
      if (diff === 0) break;
      if (out[i]! < sizes[i]!) {
        out[i]!++;
        diff--;
      }
    }
  } else if (diff < 0) {
    order.sort((a, b) => a.r - b.r || a.i - b.i);
    for (const { i } of order) {
      if (diff === 0) break;
      if (out[i]! > 0) {
        out[i]!--;
        diff++;
      }
    }
  }
  return out;
}

/**
 * Splits examples into two disjoint parts deterministically for a seed, stratified by label so
 * both parts keep the label distribution; the held-out part has exactly `heldOut` items. For
 * regression targets (non-integer labels) every distinct value is its own stratum, which is
 * still exact in size but only loosely stratified; use `randomSplit` there if that matters.
 */
export function stratifiedSplit<T extends { label: number }>(items: readonly T[], heldOut: number, seed: number | string): { rest: T[]; held: T[] } {
  if (!(Number.isInteger(heldOut) && heldOut >= 0 && heldOut <= items.length)) {
    throw new PandaError('CONFIG_INVALID', `cannot hold out ${heldOut} of ${items.length} items`);
  }
  const rng = new Rng(`split/${seed}`);
  const byLabel = new Map<number, T[]>();
  for (const item of items) {
    const list = byLabel.get(item.label) ?? [];
    list.push(item);
    byLabel.set(item.label, list);
  }
  const keys = [...byLabel.keys()].sort((a, b) => a - b);
  const take = quotas(
    keys.map((k) => byLabel.get(k)!.length),
    heldOut,
    items.length,
  );
  const held: T[] = [];
  const rest: T[] = [];
  keys.forEach((key, i) => {
    const group = rng.shuffle([...byLabel.get(key)!]);
    const k = take[i]!;
    held.push(...group.slice(0, k));
    rest.push(...group.slice(k));
  });
  return { rest: rng.shuffle(rest), held: rng.shuffle(held) };
}

/** A seeded, unstratified split with exactly `heldOut` items held out (for regression targets). */
export function randomSplit<T>(items: readonly T[], heldOut: number, seed: number | string): { rest: T[]; held: T[] } {
  if (!(Number.isInteger(heldOut) && heldOut >= 0 && heldOut <= items.length)) {
    throw new PandaError('CONFIG_INVALID', `cannot hold out ${heldOut} of ${items.length} items`);
  }
  const shuffled = new Rng(`random-split/${seed}`).shuffle([...items]);
  return { held: shuffled.slice(0, heldOut), rest: shuffled.slice(heldOut) };
}

/** A seeded random sample of n items (all of them when n ≥ length). */
export function sample<T>(items: readonly T[], n: number, seed: number | string): T[] {
  if (n >= items.length) return [...items];
  return new Rng(`sample/${seed}`).shuffle([...items]).slice(0, n);
}

/** Sizes of the parts carved from one labelled file. */
export interface CarvePlan {
  /** Rows held out as the dev split. */
  dev: number;
  /** Rows held out as the test split (omit when the release has its own test file). */
  test?: number;
  /** Seed name; the test part is carved first (seed `<seed>/test`), then dev from the rest (`<seed>/dev`). */
  seed: string;
}

/**
 * Carves dev (and optionally test) splits from one labelled list, stratified by label, with exact
 * sizes; train is what remains. Deterministic for a seed and the input order.
 */
export function carveSplits<T extends { label: number }>(items: readonly T[], plan: CarvePlan): { train: T[]; dev: T[]; test?: T[] } {
  let pool: readonly T[] = items;
  let test: T[] | undefined;
  if (plan.test !== undefined) {
    const s = stratifiedSplit(pool, plan.test, `${plan.seed}/test`);
    test = s.held;
    pool = s.rest;
  }
  const { rest: train, held: dev } = stratifiedSplit(pool, plan.dev, `${plan.seed}/dev`);
  return { train, dev, ...(test ? { test } : {}) };
}
