import type { Example } from '@panda/datasets';

/** Function words left out of data-derived label words and domain words. */
const STOPWORDS = new Set(
  ('a an the and or but if then else of at by for with about against between into through during before after above below to from up down in out on off over under ' +
    'again further once here there when where why how all any both each few more most other some such no nor not only own same so than too very s t can will just ' +
    'don should now i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers herself it its itself they them their theirs ' +
    'themselves what which who whom this that these those am is are was were be been being have has had having do does did doing would could also one two new said ' +
    "n't 's 're 've 'll 'd lrb rrb -lrb- -rrb- quot amp gt lt com www http https reuters ap afp").split(/\s+/),
);

function words(text: string): string[] {
  return text.toLowerCase().match(/[a-z][a-z'-]*[a-z]/g) ?? [];
}

export interface DataWordsOptions {
  /** Words per class (default 20). */
  perClass?: number;
  /** Least count of a word across the data (default 5). */
  minCount?: number;
  /** Shortest word (default 3). */
  minLength?: number;
  /** Which texts to read (default text and textB). */
  fields?: ReadonlyArray<'text' | 'textB'>;
}

/**
 * Words that mark each class in labelled data: the log-odds ratio with an informative Dirichlet
 * prior (Monroe, Colaresi and Quinn 2008, "Fightin' Words"), z-scored, per class against the rest.
 * These are the data-derived label-word candidates of automatic prompt search (LM-BFF uses the
 * MLM's predictions instead; a sentence encoder has none).
 * @returns [C] lists of words, most distinctive first.
 */
export function distinctiveWords(examples: readonly Example[], classes: number, options: DataWordsOptions = {}): string[][] {
  const perClass = options.perClass ?? 20;
  const minCount = options.minCount ?? 5;
  const minLength = options.minLength ?? 3;
  const fields = options.fields ?? ['text', 'textB'];
  const counts = Array.from({ length: classes }, () => new Map<string, number>());
  const total = new Map<string, number>();
  for (const x of examples) {
    if (!(x.label >= 0 && x.label < classes)) continue;
    const seen = new Set<string>();
    for (const f of fields) for (const w of words(x[f] ?? '')) if (w.length >= minLength && !STOPWORDS.has(w)) seen.add(w);
    // Document frequency: a long review repeating a word counts once.
    for (const w of seen) {
      counts[x.label]!.set(w, (counts[x.label]!.get(w) ?? 0) + 1);
      total.set(w, (total.get(w) ?? 0) + 1);
    }
  }
  const vocab = [...total].filter(([, n]) => n >= minCount).map(([w]) => w);
  const a0 = vocab.reduce((a, w) => a + total.get(w)!, 0) || 1;
  const prior = (w: string): number => (total.get(w)! / a0) * 500; // α_w, prior strength 500
  const alpha = 500;
  return counts.map((mine) => {
    const nI = vocab.reduce((a, w) => a + (mine.get(w) ?? 0), 0);
    const nJ = vocab.reduce((a, w) => a + total.get(w)! - (mine.get(w) ?? 0), 0);
    const scored = vocab.map((w) => {
      const yi = mine.get(w) ?? 0;
      const yj = total.get(w)! - yi;
      const aw = prior(w);
      const d = Math.log((yi + aw) / (nI + alpha - yi - aw)) - Math.log((yj + aw) / (nJ + alpha - yj - aw));
      const variance = 1 / (yi + aw) + 1 / (yj + aw);
      return { w, z: d / Math.sqrt(variance) };
    });
    scored.sort((p, q) => q.z - p.z || (p.w < q.w ? -1 : 1));
    return scored.slice(0, perClass).filter((s) => s.z > 0).map((s) => s.w);
  });
}

/** The most frequent content words of the data (what it is about), for `<domain>` in the grammar. */
export function domainWords(examples: readonly Example[], n = 2): string[] {
  const df = new Map<string, number>();
  for (const x of examples) for (const w of new Set(words(`${x.text} ${x.textB ?? ''}`))) if (w.length >= 4 && !STOPWORDS.has(w)) df.set(w, (df.get(w) ?? 0) + 1);
  return [...df].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, n).map(([w]) => w);
}

/** Answer words for pair and QA tasks, whose classes rarely show in the words of the texts. */
export const ANSWER_WORDS = ['yes', 'no', 'maybe', 'true', 'false', 'right', 'wrong', 'indeed', 'however', 'also', 'but', 'correct', 'incorrect', 'agreed', 'unclear', 'possibly', 'never', 'sure'];
