/**
 * Parallel runs: the same N prompt-tuning jobs (built-in spam task, different seeds) with 1 worker
 * process and with W workers; prints wall times and the speed-up.
 *
 *   node --conditions=@panda/source --import tsx experiments/pool-speedup.ts --jobs 4 --workers 2
 */
import { parseArgs } from 'node:util';
import { tuneMany, type TuneJob } from '@panda/tuner';

const { values } = parseArgs({ options: { jobs: { type: 'string', default: '4' }, workers: { type: 'string', default: '2' }, train: { type: 'string', default: '96' } } });
const jobs: TuneJob[] = Array.from({ length: Number(values.jobs) }, (_, i) => ({
  task: 'spam',
  config: { seed: i + 1, epochs: 1, promptLength: 8, maxTrainExamples: Number(values.train), maxEvalExamples: 32, batchSize: 16 },
}));
const time = async (workers: number) => {
  const t0 = performance.now();
  const out = await tuneMany(jobs, { workers });
  const failed = out.filter((o) => !o.ok);
  if (failed.length) throw new Error(`jobs failed: ${failed.map((f) => (f.ok ? '' : f.error.message)).join('; ')}`);
  return (performance.now() - t0) / 1000;
};
const one = await time(1);
const many = await time(Number(values.workers));
console.log(`${jobs.length} jobs: 1 worker ${one.toFixed(1)} s, ${values.workers} workers ${many.toFixed(1)} s, speed-up ${(one / many).toFixed(2)}x`);
