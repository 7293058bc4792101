import { Command } from 'commander';
import { initBackend, parseBackendName } from '@panda/runtime';
import { gridSpecSchema, runGrid, writeGridReport } from '@panda/transfer';
import { queueRunner } from '@panda/queue';
import { progressPrinter } from '../ui/progress.js';
import { addSchemaOptions, parseOptions, schemaOptions, typedValues } from '../config/schemaOptions.js';
import { readConfigFile, splitConfig } from '../config/configFile.js';
import { dataDirOption } from '../config/dataDir.js';

/**
 * `panda grid`: the experiment grid of the transfer package (sources × targets × methods), resumable
 * in its folder, then its report (CSV, tables, heatmaps). The spec's lists and scalars are flags;
 * its nested parts (`tuning`, `modelTuning`, `panda`, `embedding`, `beta`, `distill`) come from a
 * config file.
 */
export function gridCommand(): Command {
  const cmd = new Command('grid').description('run the prompt-transfer experiment grid (sources × targets × methods) in a worker pool, resumable, and write its report');
  const spec = schemaOptions(gridSpecSchema, { skip: ['tuning', 'modelTuning', 'panda', 'embedding', 'beta', 'distill', 'constantBeta'] });
  addSchemaOptions(cmd, spec);
  cmd.requiredOption('-o, --out <dir>', 'grid folder (grid.sqlite, runs/, the report); rerunning the same grid there skips finished runs');
  cmd.option('-c, --config <file>', 'read the grid spec from a YAML or JSON file (every key of the spec, nested parts included); flags override it');
  cmd.option('--backend <name>', 'TensorFlow.js backend (default: first that loads; or $PANDA_BACKEND)');
  cmd.option('--report-only', 'only (re)write the report of the grid in --out');
  cmd.option('--queue <url>', 'run the cells on `panda worker`s through a BullMQ queue on Redis (redis://host:port, rediss:// for TLS) instead of a local pool; this process keeps the grid store and the report');
  cmd.option('--queue-name <name>', 'the BullMQ queue (default panda-tune; workers must use the same)');
  cmd.option('--json', 'print progress as JSON lines on stderr and the summary as JSON on stdout');
  cmd.action(async (_flags, command: Command) => {
    const opts = command.opts() as { out: string; config?: string; backend?: string; reportOnly?: boolean; json?: boolean; queue?: string; queueName?: string };
    const json = opts.json ?? false;
    let summary: Record<string, unknown> = {};
    if (!opts.reportOnly) {
      const file = opts.config ? splitConfig(readConfigFile(opts.config, ['dataDir']), { spec: Object.keys(gridSpecSchema.shape) }, opts.config).spec! : {};
      const given = parseOptions(gridSpecSchema, { ...file, ...typedValues(command, spec) });
      const parsed = { ...given, ...dataDirOption(given.dataDir) };
      const backend = await initBackend(opts.backend ? { backend: parseBackendName(opts.backend) } : {});
      if (!json) process.stderr.write(`${backend.report}\n`);
      const progress = progressPrinter({ json });
      try {
        const runner = opts.queue ? queueRunner({ url: opts.queue, ...(opts.queueName ? { queueName: opts.queueName } : {}), onLog: (message) => progress.listener({ type: 'log', message }) }) : undefined;
        summary = await runGrid({ dir: opts.out, spec: parsed, onProgress: progress.listener, ...(runner ? { runner } : {}) });
      } finally {
        progress.stop();
      }
    }
    const files = await writeGridReport(opts.out);
    if (json) process.stdout.write(JSON.stringify({ ...summary, report: files }) + '\n');
    else process.stdout.write(`${summary.cells !== undefined ? `grid ${opts.out}: ${summary.cells} cells, ${summary.ran} run now, ${summary.failed} failed\n` : ''}report: ${files.join(', ')}\n`);
  });
  return cmd;
}
