import { readDelimitedFile, readDelimitedTexts } from '../adapters/delimitedFile.js';
import { RTE_LABELS } from '../adapters/superGlue.js';
import type { TaskDefinition } from './task.js';
import { carvedTask, filesTask, type FileReader, type UnlabelledReader } from './define.js';

/** A GLUE-style unquoted TSV reader for a fixed column mapping and label values. */
function tsv(columns: { text: string | number; textB?: string | number; label: string | number }, labels: readonly string[] | undefined, header = true, knownBadRows = 0): FileReader {
  return (file, idBase, options) =>
    readDelimitedFile(file, { ...options, delimiter: '\t', header, columns, idBase, ...(labels ? { labels } : {}), ...(knownBadRows ? { knownBadRows } : {}) });
}

function tsvTexts(columns: { text: string | number; textB?: string | number }): UnlabelledReader {
  return (file, idBase, options) => readDelimitedTexts(file, { ...options, delimiter: '\t', header: true, columns, idBase });
}

/**
 * CoLA from the raw release (no header: source, label, original mark, sentence). Dev is GLUE's:
 * in-domain plus out-of-domain dev (527 + 516 = 1,043 rows). The test labels are not public.
 */
export const colaTask: TaskDefinition = filesTask(
  {
    name: 'cola',
    description: 'CoLA grammatical acceptability (glue/CoLA raw TSV: train 8,551; dev 1,043 = in-domain 527 + out-of-domain 516); metric Matthews correlation',
    type: 'single',
    labels: ['unacceptable', 'acceptable'],
    metric: 'mcc',
    metrics: ['mcc', 'accuracy'],
    template: 'single',
    benchmark: 'glue',
  },
  { train: ['glue/CoLA/in_domain_train.tsv'], dev: ['glue/CoLA/in_domain_dev.tsv', 'glue/CoLA/out_of_domain_dev.tsv'] },
  tsv({ text: 3, label: 1 }, ['0', '1'], false),
);

/** SST-2 from the derived GLUE re-split (test = GLUE's dev set). */
export const sst2Task: TaskDefinition = filesTask(
  {
    name: 'sst2',
    description: 'SST-2 binary sentiment (glue/SST-2: train 60,614 / dev 6,735 re-split from GLUE train; test 872 = the GLUE dev set)',
    type: 'single',
    labels: ['negative', 'positive'],
    metric: 'accuracy',
    metrics: ['accuracy'],
    template: 'single',
    benchmark: 'glue',
  },
  { train: ['glue/SST-2/train.tsv'], dev: ['glue/SST-2/dev.tsv'], test: ['glue/SST-2/test.tsv'] },
  tsv({ text: 'sentence', label: 'label' }, ['0', '1']),
);

const mrpcRead = tsv({ text: '#1 String', textB: '#2 String', label: 'Quality' }, ['0', '1']);

/**
 * MRPC from the original MSR files (header with a UTF-8 byte-order mark). GLUE's dev ids are not
 * in the release, so a 408-row dev (GLUE's size) is carved from train with a seed, stratified.
 */
export const mrpcTask: TaskDefinition = carvedTask(
  {
    name: 'mrpc',
    description: 'MRPC paraphrase (glue/MRPC MSR files: train 3,668 + dev 408 carved from the 4,076 train rows with seed mrpc; test 1,725); metric mean of accuracy and F1',
    type: 'pair',
    labels: ['not_equivalent', 'equivalent'],
    metric: 'acc_and_f1',
    metrics: ['acc_and_f1', 'accuracy', 'f1'],
    template: 'pair',
    benchmark: 'glue',
  },
  { from: 'glue/MRPC/msr_paraphrase_train.txt', read: mrpcRead, dev: 408, seed: 'mrpc', files: { test: ['glue/MRPC/msr_paraphrase_test.txt'] } },
);

/**
 * STS-B regression (scores 0–5). Train and dev from GLUE's TSV (score in the last column); test
 * from the original STS benchmark file with its gold scores (no header: genre, file, year, id,
 * score, sentence 1, sentence 2, and sometimes source columns after them).
 */
export const stsbTask: TaskDefinition = makeStsbTask();

function makeStsbTask(): TaskDefinition {
  const glue = tsv({ text: 'sentence1', textB: 'sentence2', label: 'score' }, undefined);
  const original = tsv({ text: 5, textB: 6, label: 4 }, undefined, false);
  return filesTask(
    {
      name: 'stsb',
      description: 'STS-B sentence similarity, regression 0-5 (glue/STS-B: train 5,749; dev 1,500; test 1,379 with gold scores from original/sts-test.tsv); metric mean of Pearson and Spearman',
      type: 'regression',
      labels: [],
      metric: 'pearson_and_spearman',
      metrics: ['pearson_and_spearman', 'pearson', 'spearman'],
      template: 'pair',
      benchmark: 'glue',
    },
    { train: ['glue/STS-B/train.tsv'], dev: ['glue/STS-B/dev.tsv'], test: ['glue/STS-B/original/sts-test.tsv'] },
    (file, idBase, options) => (idBase.includes('/original/') ? original : glue)(file, idBase, options),
  );
}

/** RTE in GLUE's TSV (index, sentence1, sentence2, label); the test labels are not public. */
export const rteTask: TaskDefinition = filesTask(
  {
    name: 'rte',
    description: 'RTE entailment, GLUE TSV (glue/RTE: train 2,490; dev 277; unlabelled test 3,000). Same data as superglue-rte',
    type: 'pair',
    labels: [...RTE_LABELS],
    metric: 'accuracy',
    metrics: ['accuracy'],
    template: 'pair',
    benchmark: 'glue',
  },
  { train: ['glue/RTE/train.tsv'], dev: ['glue/RTE/dev.tsv'] },
  tsv({ text: 'sentence1', textB: 'sentence2', label: 'label' }, RTE_LABELS),
  { file: 'glue/RTE/test.tsv', read: tsvTexts({ text: 'sentence1', textB: 'sentence2' }) },
);

/**
 * QNLI: only GLUE's labelled dev file (5,463 rows) is available, so train and dev are both carved
 * from it with a seed: dev 1,000, train 4,463. Scores on it are not comparable to GLUE dev scores.
 */
export const qnliTask: TaskDefinition = carvedTask(
  {
    name: 'qnli',
    description: 'QNLI question/sentence entailment (glue/QNLI dev.tsv only, 5,463 rows, split with seed qnli: train 4,463 / dev 1,000; unlabelled test 5,463)',
    type: 'pair',
    labels: ['entailment', 'not_entailment'],
    metric: 'accuracy',
    metrics: ['accuracy'],
    template: 'pair',
    benchmark: 'glue',
  },
  { from: 'glue/QNLI/dev.tsv', read: tsv({ text: 'question', textB: 'sentence', label: 'label' }, ['entailment', 'not_entailment']), dev: 1000, seed: 'qnli' },
  { file: 'glue/QNLI/test.tsv', read: tsvTexts({ text: 'question', textB: 'sentence' }) },
);

/**
 * QQP: a 23,497-line random subset of GLUE's train file (no header: id, qid1, qid2, question1,
 * question2, is_duplicate). Line 1 is malformed as in GLUE (the label is glued to question 2 with
 * a space); it is skipped and counted (`skipped: 1` on the train split), as GLUE's own reader skips
 * it. Any other bad row fails as usual. Dev 2,000 is carved with a seed; train is the rest.
 */
export const qqpTask: TaskDefinition = carvedTask(
  {
    name: 'qqp',
    description: 'QQP duplicate questions (glue/QQP subset of GLUE train: 23,496 valid rows + 1 known malformed row, skipped and counted; train 21,496 / dev 2,000 carved with seed qqp); metric mean of accuracy and F1',
    type: 'pair',
    labels: ['not_duplicate', 'duplicate'],
    metric: 'acc_and_f1',
    metrics: ['acc_and_f1', 'accuracy', 'f1'],
    template: 'pair',
    benchmark: 'glue',
  },
  { from: 'glue/QQP/qqp_train_random_subset_23496.tsv', read: tsv({ text: 3, textB: 4, label: 5 }, ['0', '1'], false, 1), dev: 2000, seed: 'qqp' },
);
