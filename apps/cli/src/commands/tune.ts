import { Command, Option } from 'commander';
import { PandaError } from '@panda/core';
import { initBackend, parseBackendName } from '@panda/runtime';
import { fileTask, getTask, taskNames, type TaskDefinition } from '@panda/datasets';
import { tuneConfigSchema, tuneTask, type TuneTaskResult } from '@panda/tuner';
import { progressPrinter } from '../ui/progress.js';
import { printResult } from '../ui/report.js';

/** Flags shared by `tune` and `demo`: every config field, with help text from the zod schema. */
function describe(key: keyof typeof tuneConfigSchema.shape): string {
  return tuneConfigSchema.shape[key].description ?? key;
}

const int = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new PandaError('CONFIG_INVALID', `expected an integer, got '${v}'`);
  return n;
};
const num = (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new PandaError('CONFIG_INVALID', `expected a number, got '${v}'`);
  return n;
};

export interface CommonFlags {
  method?: string;
  epochs?: number;
  seed?: number;
  promptLength?: number;
  promptInit?: string;
  prefixInit?: string;
  prefixDropout?: number;
  prefixProjection?: boolean;
  prefixHidden?: number;
  modelLr?: number;
  batchSize?: number;
  lr?: number;
  headLr?: number;
  schedule?: string;
  warmup?: number;
  gradAccum?: number;
  evalEvery?: number;
  patience?: number;
  checkpointEvery?: number;
  log?: string;
  maxTrain?: number;
  maxDev?: number;
  maxTest?: number;
  out?: string;
  dataDir?: string;
  backend?: string;
  skipBadRows?: boolean;
  json?: boolean;
}

export function addCommonFlags(cmd: Command): Command {
  return cmd
    .addOption(new Option('--method <name>', describe('method')).choices(['prompt-tuning', 'deep-prompt-tuning', 'model-tuning', 'linear-probe']))
    .option('--epochs <n>', describe('epochs'), int)
    .option('--seed <n>', describe('seed'), int)
    .option('--prompt-length <m>', describe('promptLength'), int)
    .addOption(new Option('--prompt-init <kind>', describe('promptInit')).choices(['vocab', 'random']))
    .addOption(new Option('--prefix-init <kind>', describe('prefixInit')).choices(['matched', 'normal']))
    .option('--prefix-dropout <p>', describe('prefixDropout'), num)
    .option('--prefix-projection', describe('prefixProjection'))
    .option('--prefix-hidden <n>', describe('prefixHidden'), int)
    .option('--model-lr <x>', describe('modelLr'), num)
    .option('--batch-size <n>', describe('batchSize'), int)
    .option('--lr <x>', describe('lr'), num)
    .option('--head-lr <x>', describe('headLr'), num)
    .addOption(new Option('--schedule <name>', describe('schedule')).choices(['linear', 'cosine', 'constant']))
    .option('--warmup <steps>', describe('warmupSteps'), int)
    .option('--grad-accum <k>', describe('gradAccumulation'), int)
    .option('--eval-every <steps>', describe('evalEverySteps'), int)
    .option('--patience <evals>', describe('earlyStoppingPatience'), int)
    .option('--max-train <n>', describe('maxTrainExamples'), int)
    .option('--max-dev <n>', describe('maxEvalExamples'), int)
    .option('--max-test <n>', 'score at most this many test examples', int)
    .option('-o, --out <dir>', 'folder for the trained prompt, head and manifest')
    .option('--data-dir <dir>', 'data directory (default: $PANDA_DATA_DIR, else ../shared/data beside the repository)')
    .option('--backend <name>', 'TensorFlow.js backend: tensorflow-gpu, tensorflow, wasm or cpu (default: first that loads; or $PANDA_BACKEND)')
    .option('--checkpoint-every <steps>', 'save a checkpoint every N steps in <out>/checkpoint; rerunning the same command resumes from it', int)
    .option('--log <file>', 'append every progress event to this JSON-lines file')
    .option('--skip-bad-rows', 'skip and count malformed data rows instead of stopping at the first')
    .option('--json', 'print progress as JSON lines on stderr and the result as JSON on stdout');
}

export function configFromFlags(flags: CommonFlags, defaults: Record<string, unknown> = {}) {
  const raw: Record<string, unknown> = { ...defaults };
  const set = (key: string, value: unknown) => {
    if (value !== undefined) raw[key] = value;
  };
  set('method', flags.method);
  set('epochs', flags.epochs);
  set('seed', flags.seed);
  set('promptLength', flags.promptLength);
  set('promptInit', flags.promptInit);
  set('prefixInit', flags.prefixInit);
  set('prefixDropout', flags.prefixDropout);
  set('prefixProjection', flags.prefixProjection);
  set('prefixHidden', flags.prefixHidden);
  set('modelLr', flags.modelLr);
  set('batchSize', flags.batchSize);
  set('lr', flags.lr);
  set('headLr', flags.headLr);
  set('schedule', flags.schedule);
  set('warmupSteps', flags.warmup);
  set('gradAccumulation', flags.gradAccum);
  set('evalEverySteps', flags.evalEvery);
  set('earlyStoppingPatience', flags.patience);
  set('maxTrainExamples', flags.maxTrain);
  set('maxEvalExamples', flags.maxDev);
  const parsed = tuneConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new PandaError('CONFIG_INVALID', `invalid options: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

export async function runTune(task: TaskDefinition, flags: CommonFlags, defaults: Record<string, unknown> = {}): Promise<TuneTaskResult> {
  const config = configFromFlags(flags, defaults);
  const backend = await initBackend(flags.backend ? { backend: parseBackendName(flags.backend) } : {});
  const progress = progressPrinter({ json: flags.json ?? false, ...(flags.log ? { logFile: flags.log } : {}) });
  if (!flags.json) process.stderr.write(`${backend.report}\n`);
  const controller = new AbortController();
  const onSigint = () => {
    process.stderr.write('\ninterrupted: finishing the current step, keeping the best weights so far\n');
    controller.abort();
  };
  process.once('SIGINT', onSigint);
  try {
    const result = await tuneTask({
      task,
      config,
      ...(flags.out ? { outDir: flags.out } : {}),
      ...(flags.dataDir ? { dataDir: flags.dataDir } : {}),
      ...(flags.maxTest ? { maxTestExamples: flags.maxTest } : {}),
      skipBadRows: flags.skipBadRows ?? false,
      ...(flags.checkpointEvery ? { checkpointEverySteps: flags.checkpointEvery } : {}),
      onProgress: progress.listener,
      signal: controller.signal,
    });
    printResult(result, flags.json ?? false);
    return result;
  } finally {
    progress.stop();
    process.off('SIGINT', onSigint);
  }
}

interface TuneFlags extends CommonFlags {
  task?: string;
  train?: string;
  dev?: string;
  test?: string;
  textColumn?: string;
  textBColumn?: string;
  labelColumn?: string;
  labels?: string;
  noHeader?: boolean;
}

function taskFromFlags(flags: TuneFlags): TaskDefinition {
  if (flags.train || flags.dev) {
    if (!flags.train || !flags.dev) throw new PandaError('CONFIG_INVALID', 'your own data needs both --train and --dev files');
    if (!flags.labels) throw new PandaError('CONFIG_INVALID', '--labels is required with your own files, e.g. --labels negative,positive (in class order)');
    return fileTask({
      name: flags.task ?? 'custom',
      files: { train: flags.train, dev: flags.dev, ...(flags.test ? { test: flags.test } : {}) },
      columns: {
        text: flags.textColumn ?? 'text',
        label: flags.labelColumn ?? 'label',
        ...(flags.textBColumn ? { textB: flags.textBColumn } : {}),
      },
      labels: flags.labels.split(',').map((s) => s.trim()),
      header: !flags.noHeader,
    });
  }
  return getTask(flags.task ?? 'spam');
}

export function tuneCommand(): Command {
  const cmd = new Command('tune')
    .description(`train a soft prompt (or a linear probe) on a task: a built-in one (${taskNames().join(', ')}) or your own CSV/TSV files`)
    .option('-t, --task <name>', `task name (${taskNames().join(', ')}); with --train/--dev, the name recorded for your data`)
    .option('--train <file>', 'your training file (.csv, or .tsv/.tab for tab-separated)')
    .option('--dev <file>', 'your dev file, used to pick the best epoch')
    .option('--test <file>', 'your test file, scored once with the best weights')
    .option('--text-column <name>', 'column holding the text (default: text)')
    .option('--label-column <name>', 'column holding the label (default: label)')
    .option('--labels <list>', 'label values in class order, comma-separated (required with your files)')
    .option('--no-header', 'the files have no header row (columns are then 0-based numbers)');
  addCommonFlags(cmd);
  cmd.action(async (flags: TuneFlags) => {
    await runTune(taskFromFlags(flags), flags);
  });
  return cmd;
}
