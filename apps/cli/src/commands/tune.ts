import { Command } from 'commander';
import { PandaError } from '@panda/core';
import { initBackend, parseBackendName } from '@panda/runtime';
import { fileTask, getTask, taskNames, type TaskDefinition } from '@panda/datasets';
import { tuneConfigSchema, tuneTask, type TuneConfig, type TuneTaskResult } from '@panda/tuner';
import { progressPrinter } from '../ui/progress.js';
import { printResult } from '../ui/report.js';
import { linearProbeBaseline } from './baseline.js';
import { addSchemaOptions, parseOptions, schemaOptions, typedValues, type SchemaOption } from '../config/schemaOptions.js';
import { readConfigFile, splitConfig } from '../config/configFile.js';
import { RUN_FLAG_NAMES, RUN_PATH_KEYS, TUNE_FLAG_NAMES, runOptionsSchema, type RunOptions } from '../config/runOptions.js';
import { dataDirOption } from '../config/dataDir.js';

/** Run options that name data (tune has them; demo runs its built-in task). */
export const DATA_KEYS = ['task', 'train', 'dev', 'test', 'textColumn', 'textBColumn', 'labelColumn', 'labels', 'header'] as const;

/** The generated options of a tuning command: the whole tuning config, and the run options. */
export interface TuneOptionSet {
  config: SchemaOption[];
  run: SchemaOption[];
}

/**
 * Adds every tuning option to `cmd`: the config fields of `tuneConfigSchema` and the run options,
 * with help generated from the schemas' descriptions, plus `--config <file>` and `--json`.
 */
export function addTuneOptions(cmd: Command, { data }: { data: boolean }): TuneOptionSet {
  const set: TuneOptionSet = {
    config: schemaOptions(tuneConfigSchema, { names: TUNE_FLAG_NAMES }),
    run: schemaOptions(runOptionsSchema, { names: RUN_FLAG_NAMES, ...(data ? {} : { skip: DATA_KEYS }) }),
  };
  addSchemaOptions(cmd, set.run);
  addSchemaOptions(cmd, set.config);
  cmd.option('-c, --config <file>', 'read options from a YAML or JSON file (keys as in the schema, e.g. promptLength, textColumn); flags override it');
  cmd.option('--json', 'print progress as JSON lines on stderr and the result as JSON on stdout');
  return set;
}

/**
 * The tuning config and run options of a command: built-in defaults, then the config file, then
 * the flags the user typed, validated once by the schemas (so a bad value in either place reads
 * `invalid options: <key>: <problem>`).
 */
export function resolveTuneOptions(cmd: Command, set: TuneOptionSet, defaults: Record<string, unknown> = {}): { config: TuneConfig; run: RunOptions; json: boolean } {
  const opts = cmd.opts() as { config?: string; json?: boolean };
  const file = opts.config ? readConfigFile(opts.config, RUN_PATH_KEYS) : {};
  const groups = opts.config
    ? splitConfig(file, { config: Object.keys(tuneConfigSchema.shape), run: set.run.map((o) => o.key) }, opts.config)
    : { config: {}, run: {} };
  const config = parseOptions(tuneConfigSchema, { ...defaults, ...groups.config, ...typedValues(cmd, set.config) });
  const run = parseOptions(runOptionsSchema, { ...groups.run, ...typedValues(cmd, set.run) });
  return { config, run, json: opts.json ?? false };
}

export async function runTune(task: TaskDefinition, config: TuneConfig, run: RunOptions, json: boolean): Promise<TuneTaskResult> {
  const backend = await initBackend(run.backend ? { backend: parseBackendName(run.backend) } : {});
  const progress = progressPrinter({ json, ...(run.log ? { logFile: run.log } : {}) });
  if (!json) process.stderr.write(`${backend.report}\n`);
  const controller = new AbortController();
  const onSigint = () => {
    process.stderr.write('\ninterrupted: finishing the current step, keeping the best weights so far\n');
    controller.abort();
  };
  process.once('SIGINT', onSigint);
  if (!run.out) progress.listener({ type: 'log', message: 'note: no --out folder: the trained weights will not be saved (give -o <dir> to keep them)' });
  try {
    const result = await tuneTask({
      task,
      config,
      ...(run.model ? { model: run.model } : {}),
      ...(run.out ? { outDir: run.out } : {}),
      ...dataDirOption(run.dataDir),
      ...(run.maxTest ? { maxTestExamples: run.maxTest } : {}),
      skipBadRows: run.skipBadRows,
      ...(run.checkpointEvery ? { checkpointEverySteps: run.checkpointEvery } : {}),
      ...(run.overwrite ? { overwrite: true } : {}),
      ...(run.checkpoint ? {} : { checkpoint: false }),
      onProgress: progress.listener,
      signal: controller.signal,
    });
    let baseline;
    if (run.baseline && config.method !== 'linear-probe') {
      if (!json) process.stderr.write('baseline: a linear probe on the frozen encoder, same rows (--no-baseline skips it)\n');
      baseline = await linearProbeBaseline(task, config, run);
    }
    printResult(result, json, baseline);
    return result;
  } finally {
    progress.stop();
    process.off('SIGINT', onSigint);
  }
}

/** A registered task, or a task over the user's files when --train/--dev are given. */
export function taskFromOptions(run: RunOptions): TaskDefinition {
  if (run.train || run.dev) {
    if (!run.train || !run.dev) throw new PandaError('CONFIG_INVALID', 'your own data needs both --train and --dev files');
    if (!run.labels) throw new PandaError('CONFIG_INVALID', '--labels is required with your own files, e.g. --labels negative,positive (in class order)');
    return fileTask({
      name: run.task ?? 'custom',
      files: { train: run.train, dev: run.dev, ...(run.test ? { test: run.test } : {}) },
      columns: { text: run.textColumn, label: run.labelColumn, ...(run.textBColumn ? { textB: run.textBColumn } : {}) },
      labels: run.labels,
      header: run.header,
    });
  }
  return getTask(run.task ?? 'spam');
}

export function tuneCommand(): Command {
  const cmd = new Command('tune').description(
    `train a soft prompt (or a deep prompt, a linear probe, the whole model) on a task: a built-in one (${taskNames().slice(0, 3).join(', ')}, …) or your own CSV/TSV files`,
  );
  const set = addTuneOptions(cmd, { data: true });
  cmd.action(async (_flags, command: Command) => {
    const { config, run, json } = resolveTuneOptions(command, set);
    await runTune(taskFromOptions(run), config, run, json);
  });
  return cmd;
}
