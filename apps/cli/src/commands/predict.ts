import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { PandaError } from '@panda/core';
import { formatOf, readDelimitedTexts, readJsonLines } from '@panda/datasets';
import { progressPrinter } from '../ui/progress.js';
import { openRun, predictInChunks } from './runFiles.js';

interface PredictFlags {
  input?: string;
  textColumn: string;
  textBColumn?: string;
  header: boolean;
  backend?: string;
  model?: string;
  json?: boolean;
}

async function readInputs(flags: PredictFlags, texts: string[]): Promise<Array<{ text: string; textB?: string }>> {
  if (texts.length && flags.input) throw new PandaError('CONFIG_INVALID', 'give texts as arguments or --input, not both');
  if (texts.length) return texts.map((text) => ({ text }));
  if (!flags.input) throw new PandaError('CONFIG_INVALID', 'nothing to predict: give texts as arguments, or --input <file> (CSV/TSV/JSONL, or - for one text per line on stdin)');
  if (flags.input === '-') {
    return readFileSync(0, 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .map((text) => ({ text }));
  }
  const format = formatOf(flags.input);
  const columns = { text: flags.textColumn, ...(flags.textBColumn ? { textB: flags.textBColumn } : {}) };
  if (format === 'jsonl') {
    const { examples } = await readJsonLines<{ text: string; textB?: string }>(flags.input, {
      map: (record) => {
        const r = record as Record<string, unknown> | null;
        const text = r?.[flags.textColumn];
        if (typeof text !== 'string' || !text) return `no text in property '${flags.textColumn}'`;
        const textB = flags.textBColumn ? r?.[flags.textBColumn] : undefined;
        if (flags.textBColumn && typeof textB !== 'string') return `no text in property '${flags.textBColumn}'`;
        return [{ text, ...(typeof textB === 'string' ? { textB } : {}) }];
      },
    });
    return examples;
  }
  const split = await readDelimitedTexts(flags.input, { delimiter: format === 'tsv' ? '\t' : ',', header: flags.header, columns });
  return split.examples.map((e) => ({ text: e.text, ...(e.textB !== undefined ? { textB: e.textB } : {}) }));
}

/** `panda predict <run> [texts...]`: labels for texts, from arguments, a file or stdin. */
export function predictCommand(): Command {
  return new Command('predict')
    .description('classify texts with a trained run: texts as arguments, or --input <file> (CSV/TSV/JSONL) or - (stdin, one per line)')
    .argument('<run>', 'run folder (adapter.safetensors, panda_adapter.json, manifest.json; or a panda 0.1 run with adapter_config.json)')
    .argument('[texts...]', 'texts to classify')
    .option('-i, --input <file>', 'read texts from a CSV/TSV/JSONL file, or - for stdin (one text per line)')
    .option('--text-column <name>', 'column holding the text (with --input)', 'text')
    .option('--text-b-column <name>', 'column holding the second text of a pair (with --input)')
    .option('--no-header', 'the input file has no header row (columns are 0-based numbers)')
    .option('--backend <name>', 'TensorFlow.js backend (default: first that loads; or $PANDA_BACKEND)')
    .option('--model <spec>', "the run's backbone (default: the one the run recorded, else use-lite)")
    .option('--json', 'print one JSON object per text on stdout')
    .action(async (dir: string, texts: string[], flags: PredictFlags) => {
      const inputs = await readInputs(flags, texts);
      const opened = await openRun(dir, { ...(flags.backend ? { backend: flags.backend } : {}), ...(flags.model ? { model: flags.model } : {}) });
      try {
        if (!flags.json) process.stderr.write(`${opened.report}\n`);
        const progress = progressPrinter({ json: false });
        const long = inputs.length > 256;
        if (long) progress.listener({ type: 'start', phase: 'predict', total: inputs.length });
        const predictions = await predictInChunks(opened.run, inputs, (done) => long && progress.listener({ type: 'step', phase: 'predict', step: done, total: inputs.length }));
        if (long) progress.listener({ type: 'done', phase: 'predict' });
        progress.stop();
        const lines = predictions.map((p, i) =>
          flags.json
            ? JSON.stringify({ text: inputs[i]!.text, ...(inputs[i]!.textB !== undefined ? { textB: inputs[i]!.textB } : {}), label: p.label, labelIndex: p.labelIndex, probabilities: p.probabilities })
            : `${p.label}\t${p.probabilities[p.labelIndex]!.toFixed(4)}\t${inputs[i]!.text.replace(/\s+/g, ' ').slice(0, 100)}`,
        );
        process.stdout.write(lines.join('\n') + '\n');
      } finally {
        opened.close();
      }
    });
}
