import type { MetricName } from '../types.js';
import { accuracy } from './accuracy.js';
import { accuracyAndF1, accuracyAndF1Macro, pearsonAndSpearman } from './combined.js';
import { pearson, spearman } from './correlation.js';
import { f1Binary, f1Macro, f1Micro } from './f1.js';
import { matthewsCorrelation } from './mcc.js';
import type { MetricContext, TaskMetric } from './metricRegistry.js';
import { exactMatch, f1a, f1aAndExactMatch } from './multirc.js';

/** A built-in metric: its name is one of {@link MetricName}. */
type BuiltinMetric = TaskMetric & { name: MetricName };

const f1Options = (context: MetricContext) => (context.labels ? { labels: context.labels } : {});
// `needsGroups` metrics are only called with groups (computeMetric checks).
const groupsOf = (context: MetricContext): ArrayLike<string> => context.groups!;

/** The GLUE / SuperGLUE metrics, in a stable order (the order of `METRIC_NAMES`). */
export const BUILTIN_METRICS: readonly BuiltinMetric[] = [
  { name: 'accuracy', description: 'fraction of predictions equal to the gold labels', higherIsBetter: true, compute: (p, g) => accuracy(p, g) },
  { name: 'f1', description: 'binary F1 of class 1', higherIsBetter: true, compute: (p, g) => f1Binary(p, g) },
  { name: 'f1_macro', description: 'unweighted mean of per-class F1 over the task label set', higherIsBetter: true, compute: (p, g, c) => f1Macro(p, g, f1Options(c)) },
  { name: 'f1_micro', description: 'micro-averaged F1 over the task label set', higherIsBetter: true, compute: (p, g, c) => f1Micro(p, g, f1Options(c)) },
  { name: 'mcc', description: 'Matthews correlation coefficient (CoLA)', higherIsBetter: true, compute: (p, g) => matthewsCorrelation(p, g) },
  { name: 'pearson', description: 'Pearson correlation (regression)', higherIsBetter: true, compute: (p, g) => pearson(p, g) },
  { name: 'spearman', description: 'Spearman rank correlation (regression)', higherIsBetter: true, compute: (p, g) => spearman(p, g) },
  { name: 'acc_and_f1', description: 'mean of accuracy and binary F1 (MRPC, QQP)', higherIsBetter: true, compute: (p, g) => accuracyAndF1(p, g) },
  { name: 'pearson_and_spearman', description: 'mean of Pearson and Spearman correlation (STS-B)', higherIsBetter: true, compute: (p, g) => pearsonAndSpearman(p, g) },
  { name: 'acc_and_f1_macro', description: 'mean of accuracy and macro-F1 (CB)', higherIsBetter: true, compute: (p, g, c) => accuracyAndF1Macro(p, g, f1Options(c)) },
  { name: 'f1a', description: 'MultiRC F1a: binary F1 over all answer options pooled', higherIsBetter: true, compute: (p, g) => f1a(p, g) },
  { name: 'exact_match', description: 'MultiRC exact match: fraction of questions with every answer right', higherIsBetter: true, needsGroups: true, compute: (p, g, c) => exactMatch(p, g, groupsOf(c)) },
  { name: 'f1a_and_em', description: 'mean of MultiRC F1a and exact match', higherIsBetter: true, needsGroups: true, compute: (p, g, c) => f1aAndExactMatch(p, g, groupsOf(c)) },
];
