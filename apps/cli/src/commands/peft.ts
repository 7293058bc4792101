import { Command } from 'commander';
import { PandaError } from '@panda/core';
import { exportPeft, importPeft } from '@panda/tuner';

interface PeftFlags {
  format: string;
  out: string;
  json?: boolean;
}

function checkFormat(format: string): void {
  if (format !== 'peft') throw new PandaError('CONFIG_INVALID', `--format ${format} is not supported (supported: peft)`);
}

/** `panda export <run> --format peft --out <dir>`: a run as a PEFT adapter folder. */
export function exportCommand(): Command {
  return new Command('export')
    .description('write a prompt-tuning or deep-prompt-tuning run as a PEFT adapter folder (adapter_model.safetensors, adapter_config.json)')
    .argument('<run>', 'run folder')
    .requiredOption('--format <name>', 'output format (peft)')
    .requiredOption('-o, --out <dir>', 'folder to write')
    .option('--json', 'print the result as JSON')
    .action(async (run: string, flags: PeftFlags) => {
      checkFormat(flags.format);
      const { files, config } = await exportPeft(run, flags.out);
      process.stdout.write(flags.json ? JSON.stringify({ files, config }) + '\n' : `${config.peft_type} adapter written to ${flags.out}\n`);
    });
}

/** `panda import <peft-dir> --format peft --out <run-dir>`: a PEFT adapter folder (from panda export) as a run. */
export function importCommand(): Command {
  return new Command('import')
    .description('read a PEFT PROMPT_TUNING / PREFIX_TUNING adapter folder written by panda export into a run folder')
    .argument('<dir>', 'PEFT adapter folder')
    .requiredOption('--format <name>', 'input format (peft)')
    .requiredOption('-o, --out <dir>', 'run folder to write')
    .option('--json', 'print the result as JSON')
    .action(async (dir: string, flags: PeftFlags) => {
      checkFormat(flags.format);
      const { files, adapter } = await importPeft(dir, flags.out);
      process.stdout.write(flags.json ? JSON.stringify({ files, method: adapter.method }) + '\n' : `${adapter.method} run written to ${flags.out}\n`);
    });
}
