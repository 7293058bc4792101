import { Rng } from '@panda/core';

/**
 * Splits examples into two disjoint parts deterministically for a seed, stratified by label so
 * both parts keep the label distribution. Returns the ids of the held-out part too, for manifests.
 */
export function stratifiedSplit<T extends { label: number }>(items: readonly T[], heldOut: number, seed: number | string): { rest: T[]; held: T[] } {
  const rng = new Rng(`split/${seed}`);
  const byLabel = new Map<number, T[]>();
  for (const item of items) {
    const list = byLabel.get(item.label) ?? [];
    list.push(item);
    byLabel.set(item.label, list);
  }
  const fraction = heldOut / items.length;
  const held: T[] = [];
  const rest: T[] = [];
  for (const key of [...byLabel.keys()].sort((a, b) => a - b)) {
    const group = rng.shuffle([...byLabel.get(key)!]);
    const k = Math.round(group.length * fraction);
    held.push(...group.slice(0, k));
    rest.push(...group.slice(k));
  }
  return { rest: rng.shuffle(rest), held: rng.shuffle(held) };
}

/** A seeded random sample of n items (all of them when n ≥ length). */
export function sample<T>(items: readonly T[], n: number, seed: number | string): T[] {
  if (n >= items.length) return [...items];
  return new Rng(`sample/${seed}`).shuffle([...items]).slice(0, n);
}
