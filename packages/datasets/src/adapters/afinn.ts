import { createRequire } from 'node:module';
import { PandaError } from '@panda/core';

/** The AFINN-111 valence lexicon that ships in `@stdlib/datasets-afinn-111` (2,477 entries, valence -5..5). */
export const AFINN_PACKAGE = '@stdlib/datasets-afinn-111';

/** One lexicon entry: a word or short phrase and its valence. */
export interface AfinnEntry {
  word: string;
  valence: number;
}

/** Every AFINN-111 entry in the package's order. Throws `DATA_FILE_MISSING` when the package is absent. */
export function loadAfinn(): AfinnEntry[] {
  const require = createRequire(import.meta.url);
  let words: () => [string, number][];
  try {
    words = require(AFINN_PACKAGE) as () => [string, number][];
  } catch (err) {
    throw new PandaError('DATA_FILE_MISSING', `the built-in afinn task needs the npm package ${AFINN_PACKAGE}`, { cause: err });
  }
  return words().map(([word, valence]) => ({ word, valence }));
}
