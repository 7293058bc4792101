import { cosine } from '@panda/core';
import { activationOverlap, eAvg, spotPerToken } from './similarity.js';
import type { TransferMetric } from './transferMetrics.js';

/** The four metrics of the paper's comparison (Su et al. 2022; SPoT; PANDA). */
export const BUILTIN_TRANSFER_METRICS: readonly TransferMetric[] = [
  { name: 'PANDA', description: 'cosine of the two task embeddings (each task through its own prompt)', score: (s, t) => cosine(s.embedding, t.embedding) },
  { name: 'E_avg', description: 'cosine of the two prompts\u2019 mean rows', score: (s, t) => eAvg(s.prompt, s.promptRows, t.prompt, t.promptRows) },
  { name: 'SPoT per-token', description: 'mean cosine over every pair of prompt rows', score: (s, t) => spotPerToken(s.prompt, s.promptRows, t.prompt, t.promptRows) },
  { name: 'ON', description: 'overlap of activated feed-forward neurons: cosine of the activation rates', score: (s, t) => activationOverlap(s.activationRate, t.activationRate) },
];
