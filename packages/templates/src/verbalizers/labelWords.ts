import { z } from 'zod';
import { PandaError } from '@panda/core';

/**
 * A hand-written verbalizer: for each class (in label-index order) one or more label words or
 * phrases. `{ labels: ['negative', 'positive'], words: [['terrible', 'bad'], ['great', 'good']] }`.
 */
export const verbalizerSchema = z
  .object({
    labels: z.array(z.string().min(1)).min(2).describe('class names, in label-index order'),
    words: z.array(z.array(z.string().trim().min(1)).min(1)).describe('label words (or phrases) per class, same order as labels'),
  })
  .strict();
export type LabelWords = z.infer<typeof verbalizerSchema>;

/**
 * Validates a verbalizer: one non-empty word list per class and no word shared by two classes.
 * @throws PandaError `VERBALIZER_INVALID` naming the problem.
 */
export function labelWords(input: unknown): LabelWords {
  const parsed = verbalizerSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new PandaError('VERBALIZER_INVALID', `verbalizer: ${issue.path.join('.') || '(root)'}: ${issue.message}`, { details: { issues: parsed.error.issues } });
  }
  const v = parsed.data;
  if (v.words.length !== v.labels.length) {
    throw new PandaError('VERBALIZER_INVALID', `verbalizer has ${v.words.length} word lists for ${v.labels.length} labels (${v.labels.join(', ')}); give one list per label`);
  }
  const owner = new Map<string, string>();
  v.words.forEach((list, c) => {
    for (const w of list) {
      const key = w.trim().toLowerCase();
      const prior = owner.get(key);
      if (prior !== undefined && prior !== v.labels[c]) {
        throw new PandaError('VERBALIZER_INVALID', `label word '${w}' is given for both '${prior}' and '${v.labels[c]}'; a word must name one class`);
      }
      owner.set(key, v.labels[c]!);
    }
  });
  return { labels: [...v.labels], words: v.words.map((l) => l.map((w) => w.trim())) };
}

/** Common label names and the words people use for them in prompts (cloze answers). */
const KNOWN_WORDS: Record<string, string[]> = {
  negative: ['terrible', 'bad'],
  positive: ['great', 'good'],
  'very negative': ['terrible'],
  'very positive': ['wonderful'],
  neutral: ['okay'],
  entailment: ['yes'],
  not_entailment: ['no'],
  contradiction: ['no'],
  equivalent: ['yes'],
  not_equivalent: ['no'],
  duplicate: ['yes'],
  not_duplicate: ['no'],
  true: ['yes'],
  false: ['no'],
  acceptable: ['correct'],
  unacceptable: ['wrong'],
  ham: ['normal'],
  spam: ['spam'],
  world: ['world', 'politics'],
  sports: ['sports'],
  business: ['business'],
  'sci/tech': ['technology', 'science'],
};

/**
 * Default label words for a label space: known names get their usual words, others their name in
 * words (`not_entailment` → `not entailment`). For NLI with a neutral class, `neutral` → `maybe`.
 */
export function defaultLabelWords(labels: readonly string[]): LabelWords {
  const nli = labels.includes('entailment') && labels.includes('neutral');
  return labelWords({
    labels: [...labels],
    words: labels.map((l) => {
      const key = l.toLowerCase();
      if (nli && key === 'neutral') return ['maybe'];
      return KNOWN_WORDS[key] ?? [key.replace(/[_/]+/g, ' ')];
    }),
  });
}
