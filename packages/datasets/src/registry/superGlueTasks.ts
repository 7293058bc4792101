import { readJsonLines, type JsonRecordMapper } from '../adapters/jsonLines.js';
import { BOOL_LABELS, CB_LABELS, RTE_LABELS, boolqMapper, copaMapper, multircMapper, nliMapper, wicMapper, wscMapper } from '../adapters/superGlue.js';
import type { UnlabelledExample } from '../types.js';
import { filesTask, type FileReader, type TaskMeta, type UnlabelledReader } from './define.js';
import type { TaskDefinition } from './task.js';

function jsonl(map: JsonRecordMapper): FileReader {
  return (file, idBase, options) => readJsonLines(file, { ...options, map, idBase });
}

function jsonlTexts(map: JsonRecordMapper): UnlabelledReader {
  return async (file, idBase, options) => {
    const read = await readJsonLines(file, { ...options, map, idBase });
    return { ...read, examples: read.examples.map(({ label: _label, ...rest }): UnlabelledExample => rest) };
  };
}

/** A SuperGLUE task from the official JSONL: train, dev = the release's `val`, unlabelled test. */
function superGlue(meta: TaskMeta, folder: string, mapper: (labelled: boolean) => JsonRecordMapper): TaskDefinition {
  return filesTask(
    { ...meta, benchmark: 'superglue' },
    { train: [`superglue/${folder}/train.jsonl`], dev: [`superglue/${folder}/val.jsonl`] },
    jsonl(mapper(true)),
    { file: `superglue/${folder}/test.jsonl`, read: jsonlTexts(mapper(false)) },
  );
}

/**
 * A FewGLUE task (32 training examples): train = `train.jsonl` (32), dev = `dev32.jsonl` (32, for
 * model selection), test = `val.jsonl` (the full SuperGLUE validation set, where results are
 * reported). This follows the FewGLUE 32-dev protocol; the full training sets are not available.
 */
function fewGlue(meta: TaskMeta, folder: string, mapper: (labelled: boolean) => JsonRecordMapper): TaskDefinition {
  return filesTask(
    { ...meta, benchmark: 'fewglue' },
    { train: [`fewglue/${folder}/train.jsonl`], dev: [`fewglue/${folder}/dev32.jsonl`], test: [`fewglue/${folder}/val.jsonl`] },
    jsonl(mapper(true)),
  );
}

/** CommitmentBank: premise/hypothesis, 3 classes; SuperGLUE scores the mean of accuracy and macro-F1. */
export const cbTask = superGlue(
  {
    name: 'cb',
    description: 'CommitmentBank 3-way entailment (superglue/CB: train 250; dev 56; unlabelled test 250); metric mean of accuracy and macro-F1',
    type: 'pair',
    labels: [...CB_LABELS],
    metric: 'acc_and_f1_macro',
    metrics: ['acc_and_f1_macro', 'accuracy', 'f1_macro'],
    template: 'pair',
  },
  'CB',
  nliMapper(CB_LABELS),
);

/** COPA as multiple choice (`Example.choices`, `fields.question` = cause/effect). */
export const copaTask = superGlue(
  {
    name: 'copa',
    description: 'COPA choice of plausible alternatives, multiple choice (superglue/COPA: train 400; dev 100; unlabelled test 500); label = index of the right choice',
    type: 'choice',
    labels: ['choice1', 'choice2'],
    metric: 'accuracy',
    metrics: ['accuracy'],
    template: 'choice',
  },
  'COPA',
  copaMapper,
);

/** SuperGLUE's RTE: the same rows as GLUE's (`rte`), from the JSONL release. */
export const superGlueRteTask = superGlue(
  {
    name: 'superglue-rte',
    description: 'RTE entailment, SuperGLUE JSONL (superglue/RTE: train 2,490; dev 277; unlabelled test 3,000). Same data as rte (GLUE TSV)',
    type: 'pair',
    labels: [...RTE_LABELS],
    metric: 'accuracy',
    metrics: ['accuracy'],
    template: 'pair',
  },
  'RTE',
  nliMapper(RTE_LABELS),
);

/** WiC: two sentences, the target word marked by `spans` in each. */
export const wicTask = superGlue(
  {
    name: 'wic',
    description: 'Word-in-Context (superglue/WiC: train 5,428; dev 638; unlabelled test 1,400); spans mark the word in each sentence',
    type: 'span',
    labels: [...BOOL_LABELS],
    metric: 'accuracy',
    metrics: ['accuracy'],
    template: 'span',
  },
  'WiC',
  wicMapper,
);

/** WSC: a passage with two `spans` (noun phrase, pronoun); true when they corefer. */
export const wscTask = superGlue(
  {
    name: 'wsc',
    description: 'Winograd Schema coreference (superglue/WSC: train 554; dev 104; unlabelled test 146); spans = noun phrase, pronoun',
    type: 'span',
    labels: [...BOOL_LABELS],
    metric: 'accuracy',
    metrics: ['accuracy'],
    template: 'span',
  },
  'WSC',
  wscMapper,
);

/** BoolQ: passage and yes/no question (FewGLUE splits). */
export const boolqTask = fewGlue(
  {
    name: 'boolq',
    description: 'BoolQ yes/no questions, FewGLUE protocol (fewglue/BoolQ: train 32; dev = dev32 32; test = SuperGLUE val 3,270)',
    type: 'pair',
    labels: [...BOOL_LABELS],
    metric: 'accuracy',
    metrics: ['accuracy'],
    template: 'qa',
  },
  'BoolQ',
  boolqMapper,
);

/** MultiRC: one example per answer, `group` = question; F1a and exact match (FewGLUE splits). */
export const multircTask = fewGlue(
  {
    name: 'multirc',
    description:
      'MultiRC multi-answer reading comprehension, one example per answer grouped by question, FewGLUE protocol (fewglue/MultiRC: train 32 questions / 154 answers; dev = dev32 32 / 167; test = SuperGLUE val 953 questions / 4,848 answers in 83 passages); metrics F1a and exact match',
    type: 'pair',
    labels: [...BOOL_LABELS],
    metric: 'f1a_and_em',
    metrics: ['f1a_and_em', 'f1a', 'exact_match'],
    template: 'qa',
  },
  'MultiRC',
  multircMapper,
);
