import { Command } from 'commander';
import { initBackend, parseBackendName } from '@panda/runtime';
import { tuneConfigSchema } from '@panda/tuner';
import { transferOptionsSchema, transferTask, type TransferReport } from '@panda/transfer';
import { progressPrinter } from '../ui/progress.js';
import { addSchemaOptions, parseOptions, schemaOptions, typedValues } from '../config/schemaOptions.js';
import { readConfigFile, splitConfig } from '../config/configFile.js';
import { RUN_FLAG_NAMES, RUN_PATH_KEYS, TUNE_FLAG_NAMES, runOptionsSchema } from '../config/runOptions.js';
import { taskFromOptions } from './tune.js';
import { defaultBankDir } from './bank.js';
import { baselineLine, linearProbeBaseline, type Baseline } from './baseline.js';
import { dataDirOption } from '../config/dataDir.js';

const pct = (x: number | undefined) => (x === undefined ? '-' : `${(x * 100).toFixed(2)} %`);

/**
 * `panda transfer`: PANDA on a target task with source prompts from the bank (the transfer
 * package's `transferTask`): a short run on the target gives its task embedding, the bank gives
 * the most transferable sources, prompt transfer makes the teacher(s), distillation the student,
 * which is stored in the bank. Flags and config-file keys: the tuner's, the run's and the
 * transfer options (nested ones, `beta`, `distill`, `embedding`, in a config file).
 */
export function transferCommand(): Command {
  const cmd = new Command('transfer').description('PANDA on a target task: retrieve source prompts from the bank, prompt-transfer teacher(s), distil a student, store it in the bank');
  const run = schemaOptions(runOptionsSchema, { names: RUN_FLAG_NAMES, skip: ['checkpointEvery', 'checkpoint', 'overwrite'] });
  const tuning = schemaOptions(tuneConfigSchema, { names: TUNE_FLAG_NAMES });
  const method = tuning.find((o) => o.key === 'method')!.option;
  method.description = 'prompt-tuning (default, as in panda tune) or deep-prompt-tuning; the bank\'s prompts must use the same method and length';
  method.choices(['prompt-tuning', 'deep-prompt-tuning']);
  const transfer = schemaOptions(transferOptionsSchema, { names: { k: '-k, --k <n>', store: '--no-store' }, skip: ['beta', 'distill', 'embedding'] });
  // The flag is the negation of the schema's `store` key: its help says what the flag does.
  transfer.find((o) => o.key === 'store')!.option.description = 'do not store the student in the bank (by default it is stored there with its task embedding; config file: store: false)';
  addSchemaOptions(cmd, run);
  addSchemaOptions(cmd, transfer);
  addSchemaOptions(cmd, tuning);
  cmd.option('-b, --bank <dir>', 'bank folder: sources come from it, the student goes in it (default: $PANDA_BANK, else panda-service/bank)');
  cmd.option('-c, --config <file>', 'read options from a YAML or JSON file (tuner, run and transfer keys; beta, distill and embedding as nested mappings); flags override it');
  cmd.option('--json', 'print progress as JSON lines on stderr and the report as JSON on stdout');
  cmd.action(async (_flags, command: Command) => {
    const opts = command.opts() as { config?: string; json?: boolean; bank?: string };
    const file = opts.config ? readConfigFile(opts.config, [...RUN_PATH_KEYS, 'bank']) : {};
    const groups = opts.config
      ? splitConfig(file, { tuning: Object.keys(tuneConfigSchema.shape), run: run.map((o) => o.key), transfer: Object.keys(transferOptionsSchema.shape), bank: ['bank'] }, opts.config)
      : { tuning: {}, run: {}, transfer: {}, bank: {} };
    // The tuning keys the user gave, checked here; transferTask fills the rest (the tuner's defaults).
    const tuningRaw = { ...groups.tuning, ...typedValues(command, tuning) };
    const tuningConfig = parseOptions(tuneConfigSchema, tuningRaw);
    const runOpts = parseOptions(runOptionsSchema, { ...groups.run, ...typedValues(command, run) });
    const transferOpts = parseOptions(transferOptionsSchema, { ...groups.transfer, ...typedValues(command, transfer) });
    const bankDir = opts.bank ?? (groups.bank!.bank as string | undefined) ?? defaultBankDir();
    const json = opts.json ?? false;
    const backend = await initBackend(runOpts.backend ? { backend: parseBackendName(runOpts.backend) } : {});
    if (!json) process.stderr.write(`${backend.report}\n`);
    const progress = progressPrinter({ json, ...(runOpts.log ? { logFile: runOpts.log } : {}) });
    const controller = new AbortController();
    const onSigint = () => controller.abort();
    process.once('SIGINT', onSigint);
    let report: TransferReport;
    let baseline: Baseline | undefined;
    const target = taskFromOptions(runOpts);
    try {
      report = await transferTask({
        target,
        bankDir,
        outDir: runOpts.out ?? `transfer-${Date.now()}`,
        config: tuningRaw,
        transfer: transferOpts,
        ...(runOpts.model ? { model: runOpts.model } : {}),
        ...dataDirOption(runOpts.dataDir),
        skipBadRows: runOpts.skipBadRows,
        ...(runOpts.maxTest ? { maxTestExamples: runOpts.maxTest } : {}),
        onProgress: progress.listener,
        signal: controller.signal,
      });
      if (runOpts.baseline) {
        if (!json) process.stderr.write('baseline: a linear probe on the frozen encoder, same rows (--no-baseline skips it)\n');
        baseline = await linearProbeBaseline(target, tuningConfig, runOpts);
      }
    } finally {
      progress.stop();
      process.off('SIGINT', onSigint);
    }
    if (json) return void process.stdout.write(JSON.stringify(baseline ? { ...report, baseline } : report) + '\n');
    const lines = [
      '',
      `target          ${report.target} (${report.method}); its task embedding from a ${report.targetEmbeddingFrom.epochs}-epoch run (dev ${pct(report.targetEmbeddingFrom.devAccuracy)})`,
      ...rankingLines(report),
      ...report.teachers.map((t, i) => `${i ? "                " : "teachers        "}from ${t.sourceIds.join(" + ")}: dev ${pct(t.devAccuracy)}${t.testAccuracy !== undefined ? `, test ${pct(t.testAccuracy)}` : ''}`),
      `student         dev ${pct(report.student.devAccuracy)}${report.student.testAccuracy !== undefined ? `, test ${pct(report.student.testAccuracy)}` : ''} (${report.student.dir})`,
      ...(baseline ? [baselineLine({ devScore: report.student.devAccuracy, ...(report.student.testAccuracy !== undefined ? { testScore: report.student.testAccuracy } : {}) }, baseline)] : []),
      ...(report.student.bankId ? [`stored          ${report.student.bankId} in ${bankDir}`] : []),
      `time            ${report.seconds.toFixed(1)} s`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
  });
  return cmd;
}

/** The retrieval ranking, best first: rank, PANDA metric (cosine), β, entry; `*` marks the sources used. */
function rankingLines(report: TransferReport): string[] {
  const head = `ranking         ${report.ranking.length} bank entr${report.ranking.length === 1 ? 'y' : 'ies'} by the PANDA metric (* = used as a source)`;
  const rows = report.ranking.map((r, i) => `  ${r.chosen ? '*' : ' '} ${String(i + 1).padStart(2)}. similarity ${r.similarity.toFixed(4).padStart(7)}  β ${r.beta.toFixed(4)}  ${r.id} (task ${r.task})`);
  return [head, ...rows];
}
