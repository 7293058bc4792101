import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { PandaError, isPandaError } from '@panda/core';
import { PromptBank, type BankEntry } from '@panda/bank';
import { initBackend, parseBackendName } from '@panda/runtime';
import { loadBackbone } from '@panda/backbones';
import { fileTask, getTask } from '@panda/datasets';
import { readAdapterConfig } from '@panda/tuner';
import { addRunToBank } from '@panda/transfer';
import { addSchemaOptions } from '../config/schemaOptions.js';
import { searchDataOptions, searchForData, searchTuningOptions } from './bankSearchData.js';
import { dataDirOption, DATA_DIR_HELP } from '../config/dataDir.js';

/** Default bank: $PANDA_BANK, else the bank inside `panda serve`'s default data directory. */
export function defaultBankDir(): string {
  return process.env.PANDA_BANK ?? join('panda-service', 'bank');
}

function withBank<T>(dir: string, fn: (bank: PromptBank) => T): T {
  const bank = PromptBank.open(resolve(dir));
  try {
    return fn(bank);
  } finally {
    bank.close();
  }
}

/** An embedding file: a JSON array of numbers, or an object with an `embedding` array. */
function readEmbedding(file: string): number[] {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file === '-' ? 0 : file, 'utf8'));
  } catch (err) {
    throw new PandaError('CONFIG_INVALID', `cannot read the embedding from ${file}: ${(err as Error).message}`);
  }
  const arr = Array.isArray(value) ? value : (value as { embedding?: unknown })?.embedding;
  if (!Array.isArray(arr) || !arr.every((x) => typeof x === 'number')) throw new PandaError('CONFIG_INVALID', `${file} must hold a JSON array of numbers (or {"embedding": [...]})`);
  return arr as number[];
}

function summary(e: BankEntry) {
  return { id: e.id, task: e.task, model: e.model, method: e.method, dim: e.embedding.length, metrics: e.metrics ?? null, adapterDir: e.adapterDir, createdAt: e.createdAt };
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n') + '\n';
}

const metricText = (m: Record<string, number> | undefined) => (m ? Object.entries(m).map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(4)}`).join(' ') : '');

/** The registered task whose dev examples give a run's embedding; a run on the user's files needs --dev. */
function taskForEmbedding(name: string, explicit: boolean) {
  try {
    return getTask(name);
  } catch (err) {
    if (explicit || !isPandaError(err, 'TASK_UNKNOWN')) throw err;
    throw new PandaError('CONFIG_INVALID', `the run was trained on '${name}', which is not a registered task: give its dev file (--dev <file>, with --text-column/--label-column) or an embedding (-e <file>)`);
  }
}

/** `panda bank list|add|remove|search`: the prompt bank from the command line. */
export function bankCommand(): Command {
  const bank = new Command('bank').description('the prompt bank: trained prompts with their task embeddings, searched by cosine similarity');
  const dirOption = (cmd: Command) => cmd.option('-b, --bank <dir>', `bank folder (default: $PANDA_BANK, else panda-service/bank, the bank of \`panda serve\`)`).option('--json', 'print JSON on stdout');

  dirOption(
    bank
      .command('list')
      .description('list entries (oldest first)')
      .option('--task <name>', 'only entries of this task')
      .option('--model <id>', 'only entries of this backbone')
      .option('--method <name>', 'only entries of this method'),
  ).action((flags: { bank?: string; task?: string; model?: string; method?: string; json?: boolean }) => {
    withBank(flags.bank ?? defaultBankDir(), (b) => {
      const entries = b.list({ ...(flags.task ? { task: flags.task } : {}), ...(flags.model ? { model: flags.model } : {}), ...(flags.method ? { method: flags.method } : {}) });
      if (flags.json) return process.stdout.write(JSON.stringify({ entries: entries.map(summary) }) + '\n');
      if (!entries.length) return process.stdout.write(`the bank at ${b.dir} is empty\n`);
      process.stdout.write(table([['id', 'task', 'method', 'dim', 'metrics', 'created'], ...entries.map((e) => [e.id, e.task, e.method, String(e.embedding.length), metricText(e.metrics), e.createdAt.slice(0, 19)])]));
    });
  });

  dirOption(
    bank
      .command('add')
      .description(
        "add a trained run: task, model and method come from the run, its dev/test accuracy become the metrics, and its task embedding is computed (the frozen model run with the run's prompt on the task's dev examples) unless --embedding gives one",
      )
      .argument('<run>', 'run folder written by `panda tune -o`')
      .option('-e, --embedding <file>', 'use this task embedding: a JSON array of numbers (or {"embedding": [...]}); - reads stdin')
      .option('-t, --task <name>', "registered task whose dev examples give the embedding (default: the run's task)")
      .option('--dev <file>', 'your dev file for the embedding instead (CSV/TSV/JSONL, label values as in the run)')
      .option('--text-column <name>', 'column holding the text (with --dev)', 'text')
      .option('--text-b-column <name>', 'column holding the second text of a pair (with --dev)')
      .option('--label-column <name>', 'column holding the label (with --dev)', 'label')
      .option('--samples <n>', 'dev examples the embedding averages over (default 100)', (v) => Number(v))
      .option('--data-dir <dir>', DATA_DIR_HELP)
      .option('--backend <name>', 'TensorFlow.js backend (default: first that loads; or $PANDA_BACKEND)')
      .option('--model <spec>', "the run's backbone, for computing the embedding (default: the one the run recorded, else use-lite)")
      .option('--id <id>', 'entry id (default: <task>/<method>/<run folder name>)')
      .option('--replace', 'overwrite an entry with the same id'),
  ).action(async (runDir: string, flags: { bank?: string; embedding?: string; task?: string; dev?: string; textColumn: string; textBColumn?: string; labelColumn: string; samples?: number; dataDir?: string; backend?: string; model?: string; id?: string; replace?: boolean; json?: boolean }) => {
    let config;
    try {
      // panda_adapter.json, or a panda 0.1 run's adapter_config.json (never a PEFT adapter's).
      config = await readAdapterConfig(runDir);
    } catch (err) {
      throw new PandaError('MODEL_NOT_FOUND', `${runDir} is not a run folder panda can read (${(err as Error).message.split('\n')[0]})`, { cause: err });
    }
    let metrics: Record<string, number> = {};
    try {
      const manifest = JSON.parse(readFileSync(join(runDir, 'manifest.json'), 'utf8')) as { metrics?: Record<string, unknown> };
      metrics = Object.fromEntries(Object.entries(manifest.metrics ?? {}).filter(([, v]) => typeof v === 'number' && Number.isFinite(v))) as Record<string, number>;
    } catch {
      // a run without a manifest still goes in, without metrics
    }
    const id = flags.id ?? `${config.task}/${config.method}/${resolve(runDir).split(/[\\/]/).pop()}`;
    const done = (entry: BankEntry, dir: string) =>
      process.stdout.write(flags.json ? JSON.stringify(summary(entry)) + '\n' : `added ${entry.id} (${entry.task}, ${entry.method}, ${entry.embedding.length}-d embedding) to ${dir}\n`);
    if (flags.embedding) {
      const embedding = readEmbedding(flags.embedding);
      withBank(flags.bank ?? defaultBankDir(), (b) => {
        const input = { id, task: config.task, model: config.backbone, method: config.method, embedding, adapterDir: runDir, metrics };
        done(flags.replace ? b.replace(input) : b.add(input), b.dir);
      });
      return;
    }
    // The transfer package's embedding: the run's own prompt on the task's dev examples.
    const task = flags.dev
      ? fileTask({ name: config.task, files: { dev: flags.dev }, columns: { text: flags.textColumn, label: flags.labelColumn, ...(flags.textBColumn ? { textB: flags.textBColumn } : {}) }, labels: config.labels })
      : taskForEmbedding(flags.task ?? config.task, Boolean(flags.task));
    await initBackend(flags.backend ? { backend: parseBackendName(flags.backend) } : {});
    const backbone = await loadBackbone(flags.model ?? config.backboneSpec ?? 'use-lite');
    const bank = PromptBank.open(resolve(flags.bank ?? defaultBankDir()));
    try {
      if (!flags.replace && bank.has(id)) throw new PandaError('CONFIG_INVALID', `an entry with id "${id}" already exists (use --replace to overwrite it)`);
      const entry = await addRunToBank({ bank, backbone, runDir, id, task, ...dataDirOption(flags.dataDir), ...(flags.samples ? { embedding: { samples: flags.samples } } : {}), replace: true });
      done(entry, bank.dir);
    } finally {
      bank.close();
      backbone.dispose();
    }
  });

  dirOption(bank.command('remove').description('remove an entry and the bank’s copy of its prompt').argument('<id>', 'entry id')).action((id: string, flags: { bank?: string; json?: boolean }) => {
    withBank(flags.bank ?? defaultBankDir(), (b) => {
      b.remove(id);
      process.stdout.write(flags.json ? JSON.stringify({ removed: id }) + '\n' : `removed ${id}\n`);
    });
  });

  const search = bank
    .command('search')
    .description('the entries nearest to a task embedding (cosine similarity), best first: of an embedding file, of an entry (--like), or of your data set (-t <task> or --train/--dev: a short probe run gives its embedding)')
    .option('-e, --embedding <file>', 'query embedding: a JSON array of numbers (or {"embedding": [...]}); - reads stdin')
    .option('--like <id>', 'use this entry’s embedding as the query (its own task is left out)')
    .option('--model <id>', 'backbone of the query embedding (default: the entry’s with --like, else the bank’s first model); with a data set, the backbone spec to embed it with (default use-lite)')
    .option('-k, --k <n>', 'how many hits', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new PandaError('CONFIG_INVALID', `-k needs a positive integer, got '${v}'`);
      return n;
    }, 5)
    .option('--exclude-task <name...>', 'leave out entries of these tasks')
    .option('--method <name>', 'only entries of this method (with a data set: also the probe run\'s method, default prompt-tuning)')
    .option('--probe-epochs <n>', 'with a data set: epochs of the probe run that gives its task embedding', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new PandaError('CONFIG_INVALID', `--probe-epochs needs a positive integer, got '${v}'`);
      return n;
    }, 1)
    .option('--probe-out <dir>', 'with a data set: keep the probe run in this folder (default: a temporary one, removed)');
  addSchemaOptions(search, searchDataOptions());
  addSchemaOptions(search, searchTuningOptions());
  dirOption(search).action(async (flags: { bank?: string; embedding?: string; like?: string; model?: string; k: number; excludeTask?: string[]; method?: string; json?: boolean; task?: string; train?: string; probeEpochs: number; probeOut?: string }, command: Command) => {
    const byData = Boolean(flags.task || flags.train);
    if ([Boolean(flags.embedding), Boolean(flags.like), byData].filter(Boolean).length !== 1) {
      throw new PandaError('CONFIG_INVALID', 'give exactly one query: --embedding <file>, --like <id>, or a data set (-t <task>, or --train/--dev with --labels)');
    }
    if (byData) {
      return searchForData(command, { bank: flags.bank ?? defaultBankDir(), k: flags.k, probeEpochs: flags.probeEpochs, ...(flags.method ? { method: flags.method } : {}), ...(flags.model ? { model: flags.model } : {}), ...(flags.probeOut ? { probeOut: flags.probeOut } : {}), ...(flags.json ? { json: true } : {}) });
    }
    withBank(flags.bank ?? defaultBankDir(), (b) => {
      const like = flags.like ? b.get(flags.like) : undefined;
      const embedding = like ? like.embedding : readEmbedding(flags.embedding!);
      const model = flags.model ?? like?.model ?? b.models()[0]?.model;
      if (!model) throw new PandaError('BANK_EMPTY', `the bank at ${b.dir} is empty`);
      const exclude = flags.excludeTask ?? (like ? [like.task] : undefined);
      const hits = b.query(embedding, { model, k: flags.k, ...(exclude ? { excludeTasks: exclude } : {}), ...(flags.method ? { method: flags.method } : {}) });
      if (flags.json) return process.stdout.write(JSON.stringify({ hits: hits.map((h) => ({ score: h.score, entry: summary(h.entry) })) }) + '\n');
      if (!hits.length) return process.stdout.write('no entries match\n');
      process.stdout.write(table([['score', 'id', 'task', 'method', 'metrics'], ...hits.map((h) => [h.score.toFixed(4), h.entry.id, h.entry.task, h.entry.method, metricText(h.entry.metrics)])]));
    });
  });
  return bank;
}
