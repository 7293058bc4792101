/**
 * The example plugin: `panda --plugin examples/plugin-example/src/index.ts tune -t tickets --method bias-only`.
 * Its default export registers a task metric, a task and a tuning method through the packages'
 * own registries; nothing in the core packages names them.
 */
import { definePlugin } from '@panda/core';
import { registerMetric, registerTask } from '@panda/datasets';
import { registerMethod } from '@panda/tuner';
import { balancedAccuracy } from './balancedAccuracy.js';
import { ticketsTask } from './ticketsTask.js';
import { biasOnly } from './biasOnly.js';

export { balancedAccuracy, ticketsTask, biasOnly };

export default definePlugin({
  name: 'example',
  register() {
    registerMetric(balancedAccuracy);
    registerTask(ticketsTask);
    registerMethod(biasOnly);
  },
});
