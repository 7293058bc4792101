import { Command } from 'commander';
import { serviceOptionsSchema, startService } from '@panda/service';
import { addSchemaOptions, parseOptions, schemaOptions, typedValues } from '../config/schemaOptions.js';
import { readConfigFile, splitConfig } from '../config/configFile.js';
import { dataDirOption } from '../config/dataDir.js';

/**
 * `panda serve`: the HTTP service and its web page. Every flag comes from the service's options
 * schema; `--config` reads the same keys from a YAML or JSON file. Stops cleanly on Ctrl-C or
 * SIGTERM (running jobs are marked interrupted and resume after the next start).
 */
export function serveCommand(): Command {
  const cmd = new Command('serve').description('run the HTTP service and its web page: tasks, uploads, training jobs with live curves, stored prompts, prediction, the prompt bank');
  const generated = schemaOptions(serviceOptionsSchema, { names: { dir: '-d, --dir <dir>', port: '-p, --port <n>' } });
  addSchemaOptions(cmd, generated);
  cmd.option('-c, --config <file>', 'read options from a YAML or JSON file (keys as in the flags, camelCase: maxJobs, maxJsonBytes, ...); flags override it');
  cmd.option('--json', 'print the start line as JSON ({"url": ...}) on stdout');
  cmd.action(async (_flags, command: Command) => {
    const opts = command.opts() as { config?: string; json?: boolean };
    const file = opts.config ? splitConfig(readConfigFile(opts.config, ['dir', 'dataDir']), { service: generated.map((g) => g.key) }, opts.config).service! : {};
    const options = parseOptions(serviceOptionsSchema, { ...file, ...typedValues(command, generated) });
    const log = (line: string) => process.stderr.write(`panda serve: ${line}\n`);
    const service = await startService({ ...options, ...dataDirOption(options.dataDir) }, log);
    const info = { url: service.url, dir: service.root, token: service.options.token ? 'required' : 'none', interrupted: service.interrupted };
    if (opts.json) process.stdout.write(JSON.stringify(info) + '\n');
    else {
      process.stdout.write(`panda service at ${service.url}/ (API ${service.url}/api, OpenAPI ${service.url}/api/openapi.json)\n`);
      process.stdout.write(`data directory ${service.root}; access token: ${info.token}; up to ${service.options.maxJobs} job(s) at once\n`);
    }
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        log(`${signal}: stopping`);
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
        void service.close().then(resolve);
      };
      const onInt = () => stop('SIGINT');
      const onTerm = () => stop('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
    });
  });
  return cmd;
}
