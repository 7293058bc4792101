/**
 * Hugging Face's `longest_first` truncation of a sentence pair (transformers'
 * `PreTrainedTokenizerBase.truncate_sequences`): one token at a time is removed from the end of
 * the longer text, from the second one when they are equally long, until both fit the budget.
 * The special tokens are not part of the budget (the caller subtracts them first).
 *
 * Hugging Face's Rust ("fast") tokenizers agree except when both texts end up cut to an odd budget
 * and the second was not the shorter: Rust then gives the odd token to the second text, this rule
 * (and the Python tokenizers) to the first.
 */
import { PandaError } from '@panda/core';

/**
 * @param first length of the first text's ids
 * @param second length of the second text's ids
 * @param budget ids the two texts may take together (≥ 0)
 * @returns how many ids of each text to keep (each a prefix)
 * @throws `CONFIG_INVALID` when a length or the budget is negative or not an integer
 */
export function longestFirst(first: number, second: number, budget: number): [number, number] {
  for (const [name, v] of [['first', first], ['second', second], ['budget', budget]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new PandaError('CONFIG_INVALID', `longest_first truncation: ${name} must be a non-negative integer, got ${v}`);
  }
  let a = first;
  let b = second;
  // Equivalent to removing one token at a time, in O(1): first even out the longer text, then
  // alternate starting with the second.
  let remove = Math.max(0, a + b - budget);
  const even = Math.min(Math.abs(a - b), remove);
  if (a > b) a -= even;
  else b -= even;
  remove -= even;
  b -= Math.ceil(remove / 2);
  a -= Math.floor(remove / 2);
  return [a, b];
}
