import { Command, Option } from 'commander';
import { PandaError } from '@panda/core';
import { fileTask, getTask, resolveDataDir, scoreTask, type SplitName, type TaskDefinition } from '@panda/datasets';
import { progressPrinter } from '../ui/progress.js';
import { openRun, predictInChunks } from './runFiles.js';
import { cliDataDir, DATA_DIR_HELP } from '../config/dataDir.js';

interface EvalFlags {
  task?: string;
  split: SplitName;
  file?: string;
  textColumn: string;
  textBColumn?: string;
  labelColumn: string;
  noHeader?: boolean;
  header: boolean;
  max?: number;
  dataDir?: string;
  backend?: string;
  model?: string;
  skipBadRows?: boolean;
  json?: boolean;
}

/**
 * `panda eval <run>`: scores a trained run on a task split or a labelled file with the task's
 * metrics. The labels are the run's (a file's label values must be among them).
 */
export function evalCommand(): Command {
  return new Command('eval')
    .description("score a trained run (a folder written by `panda tune -o`, or a bank entry's copy) on a task split or your labelled file")
    .argument('<run>', 'run folder (adapter.safetensors, panda_adapter.json, manifest.json; or a panda 0.1 run with adapter_config.json)')
    .option('-t, --task <name>', "registered task to score on (default: the task the run was trained on)")
    .addOption(new Option('--split <name>', 'split of the task').choices(['train', 'dev', 'test']).default('dev'))
    .option('--file <file>', 'your labelled CSV/TSV/JSONL file instead of a task split (label values as in the run)')
    .option('--text-column <name>', 'column holding the text (with --file)', 'text')
    .option('--text-b-column <name>', 'column holding the second text of a pair (with --file)')
    .option('--label-column <name>', 'column holding the label (with --file)', 'label')
    .option('--no-header', 'the file has no header row (with --file)')
    .option('--max <n>', 'score at most this many examples (a seeded prefix of the split)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new PandaError('CONFIG_INVALID', `--max needs a positive integer, got '${v}'`);
      return n;
    })
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .option('--backend <name>', 'TensorFlow.js backend (default: first that loads; or $PANDA_BACKEND)')
    .option('--model <spec>', "the run's backbone (default: the one the run recorded, else use-lite)")
    .option('--skip-bad-rows', 'skip and count malformed rows')
    .option('--json', 'print the result as JSON on stdout')
    .action(async (dir: string, flags: EvalFlags) => {
      const opened = await openRun(dir, { ...(flags.backend ? { backend: flags.backend } : {}), ...(flags.model ? { model: flags.model } : {}) });
      try {
        const { run } = opened;
        if (!flags.json) process.stderr.write(`${opened.report}\n`);
        let task: TaskDefinition;
        let split: SplitName = flags.split;
        if (flags.file) {
          task = fileTask({
            name: run.config.task,
            files: { test: flags.file },
            columns: { text: flags.textColumn, label: flags.labelColumn, ...(flags.textBColumn ? { textB: flags.textBColumn } : {}) },
            labels: run.labels,
            header: flags.header,
          });
          split = 'test';
        } else {
          task = getTask(flags.task ?? run.config.task, { ownFiles: 'score your own labelled file with --file' });
          if (task.labels.join('\u0000') !== run.labels.join('\u0000')) {
            throw new PandaError('LABEL_UNKNOWN', `task '${task.name}' has labels ${task.labels.join(', ')}; the run predicts ${run.labels.join(', ')}`);
          }
          if (!task.splits.includes(split)) throw new PandaError('CONFIG_INVALID', `task '${task.name}' has no ${split} split (it has ${task.splits.join(', ')})`);
        }
        const loaded = await task.load(split, { dataDir: resolveDataDir(cliDataDir(flags.dataDir)), skipBadRows: flags.skipBadRows ?? false, ...(flags.max ? { limit: flags.max } : {}) });
        const examples = flags.max ? loaded.examples.slice(0, flags.max) : loaded.examples;
        const progress = progressPrinter({ json: false });
        progress.listener({ type: 'start', phase: 'eval', total: examples.length });
        const t0 = performance.now();
        const predictions = await predictInChunks(run, examples, (done) => progress.listener({ type: 'step', phase: 'eval', step: done, total: examples.length }));
        progress.listener({ type: 'done', phase: 'eval' });
        progress.stop();
        const seconds = (performance.now() - t0) / 1000;
        const metrics = scoreTask(task, predictions.map((p) => p.labelIndex), examples);
        const result = { run: dir, task: task.name, split, examples: examples.length, skipped: loaded.skipped, metrics, seconds, examplesPerSecond: examples.length / Math.max(seconds, 1e-9) };
        if (flags.json) process.stdout.write(JSON.stringify(result) + '\n');
        else {
          const lines = [
            '',
            `run             ${dir} (${run.config.method}, trained on ${run.config.task})`,
            `scored on       ${task.name} ${split}: ${examples.length} examples${loaded.skipped ? ` (${loaded.skipped} bad rows skipped)` : ''}`,
            ...Object.entries(metrics).map(([k, v]) => `${k.padEnd(15)} ${k.includes('accuracy') ? `${((v as number) * 100).toFixed(2)} %` : (v as number).toFixed(4)}`),
            `speed           ${result.examplesPerSecond.toFixed(1)} examples/s`,
          ];
          process.stdout.write(lines.join('\n') + '\n');
        }
      } finally {
        opened.close();
      }
    });
}
