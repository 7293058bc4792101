import { f1Binary } from './f1.js';
import { checkLengths } from './shape.js';

/**
 * MultiRC's F1a: binary F1 over all answer options pooled (every answer of every question is one
 * binary decision). 0 when there is no true positive; NaN for empty input.
 */
export function f1a(predictions: ArrayLike<number>, gold: ArrayLike<number>): number {
  return f1Binary(predictions, gold, 1);
}

/**
 * MultiRC's exact match (EM): the fraction of questions (groups) whose answer options are all
 * predicted right. `groups[i]` names the question of answer `i`; answers of one question need not
 * be adjacent. NaN for empty input.
 */
export function exactMatch(predictions: ArrayLike<number>, gold: ArrayLike<number>, groups: ArrayLike<string>): number {
  checkLengths('exact_match', predictions, gold, groups);
  if (gold.length === 0) return Number.NaN;
  const allRight = new Map<string, boolean>();
  for (let i = 0; i < gold.length; i++) {
    const g = groups[i]!;
    allRight.set(g, (allRight.get(g) ?? true) && predictions[i] === gold[i]);
  }
  let right = 0;
  for (const ok of allRight.values()) if (ok) right++;
  return right / allRight.size;
}

/** SuperGLUE's MultiRC score: the mean of F1a and exact match. */
export function f1aAndExactMatch(predictions: ArrayLike<number>, gold: ArrayLike<number>, groups: ArrayLike<string>): number {
  return (f1a(predictions, gold) + exactMatch(predictions, gold, groups)) / 2;
}
