import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { PandaError } from '@panda/core';
import { PromptBank } from '@panda/bank';
import { loadBackbone } from '@panda/backbones';
import { asTrainable } from '@panda/datasets';
import { initBackend, parseBackendName } from '@panda/runtime';
import { tuneConfigSchema } from '@panda/tuner';
import { retrieveSources } from '@panda/transfer';
import { parseOptions, schemaOptions, typedValues } from '../config/schemaOptions.js';
import { RUN_FLAG_NAMES, TUNE_FLAG_NAMES, runOptionsSchema } from '../config/runOptions.js';
import { progressPrinter } from '../ui/progress.js';
import { taskFromOptions } from './tune.js';
import { dataDirOption } from '../config/dataDir.js';

/** The data-set flags of `panda bank search` (the task or your files), as `panda tune` spells them. */
export const searchDataOptions = () =>
  schemaOptions(runOptionsSchema, { names: RUN_FLAG_NAMES, only: ['task', 'train', 'dev', 'textColumn', 'textBColumn', 'labelColumn', 'labels', 'header', 'skipBadRows', 'dataDir', 'backend'] });
/** The probe run's tuning flags (its method is `--method`, which also filters the bank). */
export const searchTuningOptions = () =>
  schemaOptions(tuneConfigSchema, { names: TUNE_FLAG_NAMES, only: ['promptLength', 'maxTrainExamples', 'maxEvalExamples', 'maxSeqLength', 'batchSize', 'lr', 'seed', 'pairEncoding'] });

export interface SearchDataFlags {
  bank: string;
  k: number;
  method?: string;
  model?: string;
  probeEpochs: number;
  probeOut?: string;
  json?: boolean;
}

/**
 * `panda bank search --train my.csv …` (or `-t <task>`): which bank prompts suit a data set. A short
 * prompt run on it (`--probe-epochs`, default 1) gives its prompt, hence its task embedding (the
 * PANDA metric's); the bank's index returns the k nearest prompts of the same model and method,
 * with their cosine and β: the ranking `panda transfer` would pick its sources from.
 */
export async function searchForData(command: Command, flags: SearchDataFlags): Promise<void> {
  const run = parseOptions(runOptionsSchema, typedValues(command, searchDataOptions()));
  const config = parseOptions(tuneConfigSchema, { ...typedValues(command, searchTuningOptions()), ...(flags.method ? { method: flags.method } : {}) });
  if (config.method !== 'prompt-tuning' && config.method !== 'deep-prompt-tuning') throw new PandaError('CONFIG_INVALID', `--method: bank prompts are prompt-tuning or deep-prompt-tuning, not ${config.method}`);
  const task = asTrainable(taskFromOptions(run));
  const backend = await initBackend(run.backend ? { backend: parseBackendName(run.backend) } : {});
  if (!flags.json) process.stderr.write(`${backend.report}\n`);
  const backbone = await loadBackbone(flags.model);
  const model = backbone.id;
  const bank = PromptBank.open(flags.bank);
  const outDir = flags.probeOut ?? (await mkdtemp(join(tmpdir(), 'panda-search-probe-')));
  const progress = progressPrinter({ json: flags.json ?? false });
  let found: Awaited<ReturnType<typeof retrieveSources>>;
  let metrics: Array<Record<string, number> | undefined>;
  try {
    found = await retrieveSources({
      task,
      backbone,
      bank,
      outDir,
      config,
      k: flags.k,
      rankingSize: flags.k,
      probeEpochs: flags.probeEpochs,
      ...dataDirOption(run.dataDir),
      ...(run.skipBadRows ? { skipBadRows: true } : {}),
      onProgress: progress.listener,
    });
    metrics = found.ranking.map((r) => bank.get(r.id).metrics);
  } finally {
    progress.stop();
    bank.close();
    backbone.dispose();
    if (!flags.probeOut) await rm(outDir, { recursive: true, force: true });
  }
  const hits = found.ranking.map(({ chosen: _c, ...r }, i) => ({ ...r, method: config.method, ...(metrics[i] ? { metrics: metrics[i] } : {}) }));
  const probe = { epochs: flags.probeEpochs, devScore: found.probe.metrics.devScore, metric: found.probe.metrics.metric };
  if (flags.json) return void process.stdout.write(JSON.stringify({ task: task.name, model, probe, hits }) + '\n');
  process.stdout.write(`${task.name} (${model}, ${config.method}): task embedding from a ${probe.epochs}-epoch probe run (dev ${probe.metric} ${probe.devScore.toFixed(4)})\n`);
  for (const [i, h] of hits.entries()) process.stdout.write(`${String(i + 1).padStart(3)}. similarity ${h.similarity.toFixed(4).padStart(7)}  β ${h.beta.toFixed(4)}  ${h.id} (task ${h.task})\n`);
}
