import { z } from 'zod';
import { taskNames } from '@panda/datasets';
import { DATA_DIR_HELP } from './dataDir.js';

const labelList = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v),
  z.array(z.string().min(1)).min(2),
);

/**
 * What a tuning run needs besides the tuning config: the task or your files, where to save, the
 * backend. Flags of `panda tune`/`panda demo` and keys of a config file, with the help texts.
 */
export const runOptionsSchema = z
  .object({
    task: z.string().min(1).optional().describe(`task name (${taskNames().slice(0, 6).join(', ')}, …); with --train/--dev, the name recorded for your data`),
    train: z.string().min(1).optional().describe('your training file (.csv, or .tsv/.tab for tab-separated, or .jsonl)'),
    dev: z.string().min(1).optional().describe('your dev file, used to pick the best epoch'),
    test: z.string().min(1).optional().describe('your test file, scored once with the best weights'),
    textColumn: z.string().min(1).default('text').describe('column holding the text'),
    textBColumn: z.string().min(1).optional().describe('column holding the second text of a sentence pair'),
    labelColumn: z.string().min(1).default('label').describe('column holding the label'),
    labels: labelList.optional().describe('label values in class order, comma-separated (required with your files)'),
    header: z.boolean().default(true).describe('the files start with a header row; --no-header: they do not (columns are then 0-based numbers)'),
    skipBadRows: z.boolean().default(false).describe('skip and count malformed data rows instead of stopping at the first'),
    maxTest: z.number().int().positive().optional().describe('score at most this many test examples'),
    out: z.string().min(1).optional().describe('folder for the trained prompt, head, manifest and checkpoint (checked writable before training; without it nothing is saved)'),
    overwrite: z.boolean().default(false).describe('replace a finished run already in --out, training from scratch (without it such a folder is refused with RUN_EXISTS; rerunning the same run resumes it)'),
    dataDir: z.string().min(1).optional().describe(DATA_DIR_HELP),
    model: z.string().min(1).optional().describe("backbone: 'use-lite' (the default) or a local Hugging Face BERT/RoBERTa folder (with config.json); a plugin may add others"),
    backend: z.enum(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']).optional().describe('TensorFlow.js backend (default: first that loads; or $PANDA_BACKEND)'),
    checkpointEvery: z.number().int().positive().optional().describe('save a checkpoint every N steps as well as at every epoch end in <out>/checkpoint; rerunning the same command resumes from it'),
    checkpoint: z.boolean().default(true).describe('with --out, a checkpoint at every epoch end in <out>/checkpoint, so a killed run keeps its best epoch and rerunning resumes; --no-checkpoint: none'),
    log: z.string().min(1).optional().describe('append every progress event to this JSON-lines file'),
    baseline: z.boolean().default(true).describe('also train the cheap baseline on the same rows, a linear probe on the frozen encoder, and say by how much the run beats or trails it; --no-baseline: do not'),
  })
  .strict();

export type RunOptions = z.infer<typeof runOptionsSchema>;

/** Keys whose values are paths: in a config file they are relative to the file. */
export const RUN_PATH_KEYS = ['train', 'dev', 'test', 'out', 'dataDir', 'log'] as const;

/** Command-line spellings kept from the first `panda tune` (the rest are `--kebab-case`). */
export const RUN_FLAG_NAMES = {
  task: '-t, --task <name>',
  train: '--train <file>',
  dev: '--dev <file>',
  test: '--test <file>',
  textColumn: '--text-column <name>',
  textBColumn: '--text-b-column <name>',
  labelColumn: '--label-column <name>',
  labels: '--labels <list>',
  header: '--no-header',
  maxTest: '--max-test <n>',
  out: '-o, --out <dir>',
  dataDir: '--data-dir <dir>',
  model: '--model <spec>',
  backend: '--backend <name>',
  checkpointEvery: '--checkpoint-every <steps>',
  log: '--log <file>',
  baseline: '--no-baseline',
} as const;

/** The tuning config's flags that predate the schema-generated ones keep their names. */
export const TUNE_FLAG_NAMES = {
  method: '--method <name>',
  promptLength: '--prompt-length <m>',
  promptInit: '--prompt-init <kind>',
  prefixInit: '--prefix-init <kind>',
  prefixDropout: '--prefix-dropout <p>',
  prefixHidden: '--prefix-hidden <n>',
  modelLr: '--model-lr <x>',
  lr: '--lr <x>',
  headLr: '--head-lr <x>',
  schedule: '--schedule <name>',
  warmupSteps: '--warmup <steps>',
  gradAccumulation: '--grad-accum <k>',
  evalEverySteps: '--eval-every <steps>',
  earlyStoppingPatience: '--patience <evals>',
  maxTrainExamples: '--max-train <n>',
  maxEvalExamples: '--max-dev <n>',
} as const;
