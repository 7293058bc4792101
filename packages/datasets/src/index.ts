export type {
  Example,
  Span,
  UnlabelledExample,
  TaskType,
  MetricName,
  SplitName,
  TemplateFamily,
  ReadOptions,
  LoadedSplit,
  UnlabelledSplit,
} from './types.js';

// adapters
export { readLines, assertReadable, invalidUtf8Offset } from './adapters/lines.js';
export type { LineItem, LineReadOptions, TextEncodingName } from './adapters/lines.js';
export { RowIssues, rowError } from './adapters/rowIssues.js';
export type { RowIssueOptions, SkippedRow } from './adapters/rowIssues.js';
export { readDelimitedFile, readDelimitedRows, readDelimitedTexts } from './adapters/delimitedFile.js';
export type { ColumnMapping, DelimitedFileOptions, DelimitedLayout, DelimitedRow, DelimitedTextsOptions } from './adapters/delimitedFile.js';
export { readJsonLines, readJsonFile } from './adapters/jsonLines.js';
export type { JsonLinesOptions, JsonRecordMapper, JsonColumnMapping, JsonFileOptions } from './adapters/jsonLines.js';
export { readLabelSentenceFile } from './adapters/labelSentence.js';
export type { LabelSentenceOptions } from './adapters/labelSentence.js';
export { BOOL_LABELS, CB_LABELS, RTE_LABELS, nliMapper, copaMapper, wicMapper, wscMapper, wscSpan, boolqMapper, multircMapper } from './adapters/superGlue.js';
export { IMDB_LABELS, imdbMapper } from './adapters/imdb.js';
export { loadSpamAssassin, emailToText, SPAM_ASSASSIN_PACKAGE } from './adapters/spamAssassin.js';
export { loadAfinn, AFINN_PACKAGE } from './adapters/afinn.js';
export type { AfinnEntry } from './adapters/afinn.js';
export { SPAM_ASSASSIN_CORPUS, AFINN_CORPUS, corpusInstallCommand } from './adapters/corpusPackage.js';
export type { CorpusPackage } from './adapters/corpusPackage.js';

// splits
export { stratifiedSplit, randomSplit, sample, carveSplits } from './splits/seededSplit.js';
export type { CarvePlan } from './splits/seededSplit.js';
export { fewShot } from './splits/fewShot.js';
export type { FewShotOptions, FewShotManifest } from './splits/fewShot.js';

// metrics
export { accuracy } from './metrics/accuracy.js';
export { f1Binary, f1Macro, f1Micro } from './metrics/f1.js';
export type { F1AverageOptions } from './metrics/f1.js';
export { matthewsCorrelation } from './metrics/mcc.js';
export { pearson, spearman, averageRanks } from './metrics/correlation.js';
export { accuracyAndF1, pearsonAndSpearman, accuracyAndF1Macro } from './metrics/combined.js';
export { f1a, exactMatch, f1aAndExactMatch } from './metrics/multirc.js';
export { computeMetric, scoreTask, taskMetrics, METRIC_NAMES } from './metrics/score.js';
export { registerMetric, metricByName, listMetrics, taskMetricSchema } from './metrics/metricRegistry.js';
export type { MetricContext, TaskMetric } from './metrics/metricRegistry.js';

// registry
export { NamedRegistry, entryNameSchema, functionSchema } from './registry/namedRegistry.js';
export type { NamedEntry } from './registry/namedRegistry.js';
export { resolveDataDir, DATA_DIR_ENV, DEFAULT_DATA_DIR } from './registry/dataDir.js';
export type { TaskDefinition, LoadContext, CarvedSplits } from './registry/task.js';
export { getTask, registerTask, taskNames, allTasks, spamTask, sst2Task, afinnTask } from './registry/builtinTasks.js';
export { colaTask, mrpcTask, stsbTask, rteTask, qnliTask, qqpTask } from './registry/glueTasks.js';
export { cbTask, copaTask, superGlueRteTask, wicTask, wscTask, boolqTask, multircTask } from './registry/superGlueTasks.js';
export { imdbTask, sst5Task, mrTask, agNewsTask, AG_NEWS_LABELS } from './registry/textTasks.js';
export { filesTask, carvedTask } from './registry/define.js';
export { asClassification, asTrainable } from './registry/asClassification.js';
export type { FileReader, UnlabelledReader, TaskMeta } from './registry/define.js';
export { clearLoadCache } from './registry/loadCache.js';
export { fileTask, formatOf } from './registry/fileTask.js';
export type { FileTaskOptions, UserFileFormat } from './registry/fileTask.js';
