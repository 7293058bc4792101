import type { TuneTaskResult } from '@panda/tuner';
import { baselineLine, type Baseline } from '../commands/baseline.js';

const pct = (x: number | undefined) => (x === undefined ? '-' : `${(x * 100).toFixed(2)} %`);
const num = (x: number | undefined) => (x === undefined ? '-' : Number.isNaN(x) ? 'undefined (constant predictions)' : x.toFixed(4));

/** The result of a tuning run: a short table for people, or one JSON object for scripts. */
export function printResult(result: TuneTaskResult, json: boolean, baseline?: Baseline): void {
  if (json) {
    const { trainIds: _ids, ...rest } = result;
    process.stdout.write(JSON.stringify({ ...rest, ...(baseline ? { baseline } : {}) }) + '\n');
    return;
  }
  const lines = [
    '',
    `task            ${result.task} (${result.sizes.train} train / ${result.sizes.dev} dev${result.sizes.test ? ` / ${result.sizes.test} test` : ''})`,
    `method          ${result.config.method}${methodDetail(result)}, backbone ${result.backboneId}`,
    ...(result.metrics.metric === 'accuracy'
      ? [`dev accuracy    ${pct(result.metrics.devScore)} (best at step ${result.metrics.bestStep})`, `test accuracy   ${pct(result.metrics.testScore)}`]
      : [
          `${`dev ${result.metrics.metric}`.padEnd(15)} ${num(result.metrics.devScore)} (${result.metrics.metric === 'pearson_and_spearman' ? 'mean of Pearson and Spearman; ' : 'the task\'s metric; '}best at step ${result.metrics.bestStep})`,
          `${`test ${result.metrics.metric}`.padEnd(15)} ${num(result.metrics.testScore)}`,
          ...(result.metrics.devAccuracy !== undefined ? [`dev accuracy    ${pct(result.metrics.devAccuracy)}`, `test accuracy   ${pct(result.metrics.testAccuracy)}`] : []),
        ]),
    ...(result.config.template !== undefined ? [`template        ${result.config.template}`] : []),
    `training        ${result.steps} steps in ${result.trainSeconds.toFixed(1)} s (${result.stepsPerSecond.toFixed(2)} steps/s)`,
    ...(baseline ? [baselineLine(result, baseline)] : []),
    ...(result.files.length ? [`saved           ${result.files.join(', ')}`] : []),
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

function methodDetail(result: TuneTaskResult): string {
  switch (result.config.method) {
    case 'prompt-tuning':
      return result.template?.softRows ? ` (${result.template.softRows} soft rows placed by the template)` : ` (${result.config.promptLength} prompt rows)`;
    case 'deep-prompt-tuning':
      return ` (${result.config.promptLength}-row prefix at every layer)`;
    default:
      return '';
  }
}
