import { Command, CommanderError } from 'commander';
import { isPandaError } from '@panda/core';
import { demoCommand } from './commands/demo.js';
import { tuneCommand } from './commands/tune.js';
import { evalCommand } from './commands/eval.js';
import { predictCommand } from './commands/predict.js';
import { serveCommand } from './commands/serve.js';
import { bankCommand } from './commands/bank.js';
import { transferCommand } from './commands/transfer.js';
import { gridCommand } from './commands/grid.js';
import { workerCommand } from './commands/worker.js';
import { templatesCommand } from './commands/templates.js';
import { exportCommand, importCommand } from './commands/peft.js';
import { EXIT, exitCodeFor } from './exitCodes.js';
import { loadCliPlugins, PLUGINS_ENV } from './plugins.js';
import { addExamples } from './ui/examples.js';

// Started by bin/panda.js in the workspace: it holds an IPC channel to us. When that process dies
// (killed, even by SIGKILL), the channel closes and we leave too (137, as for SIGKILL), rather than
// run on as an orphan. The channel alone does not keep us alive.
if (process.channel) {
  process.channel.unref();
  process.once('disconnect', () => process.exit(137));
}

// `panda … | head`: a reader that has seen enough closes the pipe; stop quietly, not with a stack.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

const program = new Command('panda')
  .description('prompt tuning, prompt transfer and distillation on frozen pretrained encoders')
  .version('0.1.0')
  .exitOverride()
  .showHelpAfterError()
  .option('--plugin <module>', `load a plugin first: a module whose default export registers tasks, metrics, methods, backbones, ... (repeatable; also $${PLUGINS_ENV})`, (v: string, prev: string[]) => [...prev, v], [] as string[])
  .hook('preAction', async (root) => {
    await loadCliPlugins((root.opts() as { plugin: string[] }).plugin);
  })
  .addCommand(demoCommand())
  .addCommand(tuneCommand())
  .addCommand(evalCommand())
  .addCommand(predictCommand())
  .addCommand(transferCommand())
  .addCommand(gridCommand())
  .addCommand(workerCommand())
  .addCommand(bankCommand())
  .addCommand(templatesCommand())
  .addCommand(exportCommand())
  .addCommand(importCommand())
  .addCommand(serveCommand());

// Subcommands (and their own subcommands) report usage errors the same way as the top level.
const exitOverride = (cmd: Command): void => {
  cmd.exitOverride();
  cmd.commands.forEach(exitOverride);
};
exitOverride(program);
addExamples(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else {
    const code = isPandaError(err) ? err.code : 'INTERNAL';
    const exitCode = exitCodeFor(err);
    const message = err instanceof Error ? err.message : String(err);
    if (process.argv.includes('--json')) {
      // Scripts asked for JSON: the error is one JSON object on stderr too.
      process.stderr.write(JSON.stringify({ error: { code, message, exitCode, ...(isPandaError(err) && Object.keys(err.details).length ? { details: err.details } : {}) } }) + '\n');
    } else {
      process.stderr.write(`panda: error ${code}: ${message}\n`);
      if (!isPandaError(err) && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    }
    process.exitCode = exitCode;
  }
}
