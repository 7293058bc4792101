import { readDelimitedFile } from '../adapters/delimitedFile.js';
import { IMDB_LABELS, imdbMapper } from '../adapters/imdb.js';
import { readJsonLines } from '../adapters/jsonLines.js';
import { readLabelSentenceFile } from '../adapters/labelSentence.js';
import { carvedTask, filesTask, type FileReader } from './define.js';
import type { TaskDefinition } from './task.js';

const imdbRead: FileReader = (file, idBase, options) => readJsonLines(file, { ...options, map: imdbMapper, idBase, gzip: true });

/**
 * IMDB movie reviews from gzip JSONL, streamed through zlib. Dev (2,500) is carved from the
 * 25,000 training reviews with a seed; test is the official 25,000.
 */
export const imdbTask: TaskDefinition = carvedTask(
  {
    name: 'imdb',
    description: 'IMDB review sentiment (sentiment/imdb gzip JSONL: train 22,500 + dev 2,500 carved from the 25,000 train reviews with seed imdb; test 25,000)',
    type: 'single',
    labels: [...IMDB_LABELS],
    metric: 'accuracy',
    metrics: ['accuracy'],
    template: 'single',
    benchmark: 'sentiment',
  },
  { from: 'sentiment/imdb/train.jsonl.gz', read: imdbRead, dev: 2500, seed: 'imdb', files: { test: ['sentiment/imdb/test.jsonl.gz'] } },
);

/** SST-5 fine-grained sentiment from the `label sentence` files. */
export const sst5Task: TaskDefinition = filesTask(
  {
    name: 'sst5',
    description: 'SST-5 fine-grained sentiment, 5 classes (sentiment/sst5: train 8,544; dev 1,101; test 2,210)',
    type: 'single',
    labels: ['very negative', 'negative', 'neutral', 'positive', 'very positive'],
    metric: 'accuracy',
    metrics: ['accuracy', 'f1_macro'],
    template: 'single',
    benchmark: 'sentiment',
  },
  { train: ['sentiment/sst5/stsa.fine.train'], dev: ['sentiment/sst5/stsa.fine.dev'], test: ['sentiment/sst5/stsa.fine.test'] },
  (file, idBase, options) => readLabelSentenceFile(file, { ...options, labels: ['0', '1', '2', '3', '4'], idBase }),
);

/**
 * MR (rt-polarity) has no split: test 2,000 (the size LM-BFF uses) and dev 1,000 are carved with a
 * seed, train is the remaining 7,662. The file is Windows-1252, not UTF-8 (202 lines have bytes
 * such as 0xE9 for é), so it is decoded as such.
 */
export const mrTask: TaskDefinition = carvedTask(
  {
    name: 'mr',
    description: 'MR movie-review polarity (sentiment/mr rt-polarity.all, 10,662 sentences in Windows-1252, split with seed mr: train 7,662 / dev 1,000 / test 2,000)',
    type: 'single',
    labels: ['negative', 'positive'],
    metric: 'accuracy',
    metrics: ['accuracy'],
    template: 'single',
    benchmark: 'sentiment',
  },
  {
    from: 'sentiment/mr/rt-polarity.all',
    read: (file, idBase, options) => readLabelSentenceFile(file, { ...options, labels: ['0', '1'], encoding: 'windows-1252', idBase }),
    dev: 1000,
    test: 2000,
    seed: 'mr',
  },
);

/** AG News class names in the official class-id order (1–4). */
export const AG_NEWS_LABELS = ['World', 'Sports', 'Business', 'Sci/Tech'] as const;

const agRead: FileReader = (file, idBase, options) =>
  readDelimitedFile(file, { ...options, delimiter: '\t', header: false, columns: { text: 0, label: 1 }, labels: AG_NEWS_LABELS, idBase });

/**
 * AG News (descriptions only; titles were dropped upstream). The release here has 10,001 rows
 * drawn from the official train set and the official 7,600-row test set: train and dev (2,000)
 * are carved from the former with a seed.
 */
export const agNewsTask: TaskDefinition = carvedTask(
  {
    name: 'agnews',
    description: 'AG News topic, 4 classes (topic/agnews: train 8,001 + dev 2,000 carved with seed agnews from the 10,001 rows drawn from the official train; test 7,600 official)',
    type: 'single',
    labels: [...AG_NEWS_LABELS],
    metric: 'accuracy',
    metrics: ['accuracy', 'f1_macro'],
    template: 'single',
    benchmark: 'topic',
  },
  { from: 'topic/agnews/dev.tsv', read: agRead, dev: 2000, seed: 'agnews', files: { test: ['topic/agnews/test.tsv'] } },
);
