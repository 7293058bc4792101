import { Command } from 'commander';
import { initBackend, parseBackendName } from '@panda/runtime';
import { loadBackbone } from '@panda/backbones';
import { resolveDataDir, sample } from '@panda/datasets';
import { backboneEmbedder, evaluateCandidate, searchConfigSchema, searchPrompts } from '@panda/templates';
import { tensorFactory } from '@panda/service';
import { progressPrinter } from '../ui/progress.js';
import { addSchemaOptions, parseOptions, schemaOptions, typedValues } from '../config/schemaOptions.js';
import { readConfigFile, splitConfig } from '../config/configFile.js';
import { RUN_FLAG_NAMES, RUN_PATH_KEYS, runOptionsSchema } from '../config/runOptions.js';
import { taskFromOptions } from './tune.js';
import { cliDataDir } from '../config/dataDir.js';

const pct = (x: number) => `${(x * 100).toFixed(2)} %`;

/**
 * `panda templates search`: the templates package's automatic prompt search (templates from a
 * pattern grammar × label words mined from the data), scored on a split of the training data, the
 * best candidate then scored on dev.
 */
export function templatesCommand(): Command {
  const templates = new Command('templates').description('prompt templates: automatic search of templates and label words');
  const cmd = templates.command('search').description('search templates and label words for a task (scored zero-shot or few-shot on a split of the training data), then score the best on dev');
  const run = schemaOptions(runOptionsSchema, { names: RUN_FLAG_NAMES, only: ['task', 'train', 'dev', 'textColumn', 'textBColumn', 'labelColumn', 'labels', 'header', 'skipBadRows', 'dataDir', 'backend'] });
  const search = schemaOptions(searchConfigSchema, { skip: ['seed'] });
  addSchemaOptions(cmd, run);
  addSchemaOptions(cmd, search);
  cmd.option('--seed <n>', 'one seed for template sampling, word ranking, few-shot samples and the search split (default: 1)', (v) => Number(v));
  cmd.option('--search-examples <n>', 'training examples that score candidates (the rest mine label words; default 200)', (v) => Number(v), 200);
  cmd.option('--top <n>', 'candidates to print', (v) => Number(v), 5);
  cmd.option('-c, --config <file>', 'read options from a YAML or JSON file; flags override it');
  cmd.option('--json', 'print the result as JSON on stdout');
  cmd.action(async (_flags, command: Command) => {
    const opts = command.opts() as { config?: string; json?: boolean; seed?: number; searchExamples: number; top: number };
    const file = opts.config ? readConfigFile(opts.config, RUN_PATH_KEYS) : {};
    const groups = opts.config ? splitConfig(file, { run: run.map((o) => o.key), search: Object.keys(searchConfigSchema.shape) }, opts.config) : { run: {}, search: {} };
    const runOpts = parseOptions(runOptionsSchema, { ...groups.run, ...typedValues(command, run) });
    const config = parseOptions(searchConfigSchema, { ...groups.search, ...typedValues(command, search), ...(opts.seed !== undefined ? { seed: opts.seed } : {}) });
    const task = taskFromOptions(runOpts);
    const backend = await initBackend(runOpts.backend ? { backend: parseBackendName(runOpts.backend) } : {});
    if (!opts.json) process.stderr.write(`${backend.report}\n`);
    const context = { dataDir: resolveDataDir(cliDataDir(runOpts.dataDir)), skipBadRows: runOpts.skipBadRows };
    const train = (await task.load('train', context)).examples;
    const dev = (await task.load('dev', context)).examples;
    const scoring = sample(train, Math.min(opts.searchExamples, Math.floor(train.length / 2)), `${config.seed}/search-split`);
    const chosen = new Set(scoring.map((e) => e.id));
    const mining = train.filter((e) => !chosen.has(e.id));
    const backbone = await loadBackbone(runOpts.model);
    const progress = progressPrinter({ json: opts.json ?? false });
    try {
      const embedder = backboneEmbedder(backbone, tensorFactory);
      const t0 = performance.now();
      const result = await searchPrompts({ task, train: mining, dev: scoring, embedder, config, onProgress: progress.listener });
      const devAccuracy = await evaluateCandidate(result.best, dev, embedder);
      const seconds = (performance.now() - t0) / 1000;
      const top = result.candidates.slice(0, opts.top).map((c) => ({ template: c.template.source, ...(c.answer ? { answer: c.answer.source } : {}), words: c.words.words, origin: c.origin, searchAccuracy: c.score }));
      if (opts.json) {
        process.stdout.write(JSON.stringify({ task: task.name, best: top[0], devAccuracy, candidates: result.candidates.length, top, config: result.config, seconds }) + '\n');
        return;
      }
      const lines = [
        '',
        `task            ${task.name}: ${mining.length} examples mine label words, ${scoring.length} score candidates, dev ${dev.length}`,
        `best            ${top[0]!.template}   words ${JSON.stringify(top[0]!.words)}`,
        `dev accuracy    ${pct(devAccuracy)} (search split ${pct(top[0]!.searchAccuracy)}, ${config.scoring})`,
        `candidates      ${result.candidates.length} scored in ${seconds.toFixed(1)} s; the top ${top.length}:`,
        ...top.map((c) => `  ${pct(c.searchAccuracy).padStart(8)}  ${c.template}   ${JSON.stringify(c.words)}`),
      ];
      process.stdout.write(lines.join('\n') + '\n');
    } finally {
      progress.stop();
      backbone.dispose();
    }
  });
  return templates;
}
