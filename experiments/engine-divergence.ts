/**
 * How far a run on the training engine drifts from the same run on TensorFlow.js autodiff, step by
 * step: prompt tuning on 2,000 SST-2 rows (one epoch, seed 1), every step's loss on both paths.
 * Float rounding shows as a difference that starts near 1e-7 and grows smoothly; a bug as a jump.
 * The control: the same TensorFlow.js run with its gradient summed over two micro-batches
 * (`gradAccumulation: 2`: the same gradient, in another float order), against the plain one.
 *   node --conditions=@panda/source --import tsx experiments/engine-divergence.ts [--steps 125] [--method prompt-tuning]
 */
import { parseArgs } from 'node:util';
import { initBackend } from '@panda/runtime';
import { loadUseLite } from '@panda/backbones';
import { getTask } from '@panda/datasets';
import { tuneTask } from '@panda/tuner';
import { experimentDataDir } from './dataDir.js';

const { values: args } = parseArgs({ options: { steps: { type: 'string', default: '125' }, method: { type: 'string', default: 'prompt-tuning' } } });
await initBackend({ backend: 'wasm' });
const backbone = await loadUseLite();
const task = getTask('sst2');
const { training: _t, ...tfjsOnly } = backbone;
const steps = Number(args.steps);
const run = async (bb: typeof backbone, gradAccumulation = 1) => {
  const losses: number[] = [];
  const r = await tuneTask({ task, backbone: bb, dataDir: experimentDataDir(), evaluateTest: false, config: { method: args.method as 'prompt-tuning', gradAccumulation, epochs: 1, seed: 1, maxTrainExamples: 16 * steps, maxEvalExamples: 256 }, onProgress: (e) => void (e.type === 'step' && losses.push(e.loss!)) });
  return { losses, dev: r.metrics.devScore };
};
const a = await run(tfjsOnly);
const b = await run(backbone);
const c = await run(tfjsOnly, 2);
const engine = a.losses.map((l, i) => Math.abs(l - b.losses[i]!));
const control = a.losses.map((l, i) => Math.abs(l - c.losses[i]!));
console.log('step: |Δloss| engine vs tfjs / tfjs (2 micro-batches) vs tfjs');
for (const i of [0, 4, 9, 14, 19, 24, 29, 39, 59, 79, 99, 124].filter((i) => i < engine.length)) console.log(`${i + 1}: ${engine[i]!.toExponential(2)} / ${control[i]!.toExponential(2)}`);
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
console.log(JSON.stringify({ method: args.method, steps: engine.length, engine: { meanDiffLast50: mean(engine.slice(-50)), dev: b.dev }, control: { meanDiffLast50: mean(control.slice(-50)), dev: c.dev }, tfjsDev: a.dev }));
backbone.dispose();
