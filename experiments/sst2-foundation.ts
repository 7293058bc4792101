/**
 * The foundation result: prompt tuning vs a linear probe on SST-2 (USE-Lite), several seeds.
 * Train on glue/SST-2/train.tsv (seeded sample of --train rows), select the best epoch on a seeded
 * sample of dev.tsv, report accuracy on test.tsv (the GLUE dev set, 872 rows).
 *
 *   node --conditions=@panda/source --import tsx experiments/sst2-foundation.ts --train 4000 --epochs 3 --seeds 1,2,3 --out docs/results/sst2-foundation.json
 */
import { writeFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@panda/runtime';
import { loadUseLite } from '@panda/backbones';
import { sst2Task } from '@panda/datasets';
import { experimentDataDir } from './dataDir.js';
import { tune, type TuneConfigInput } from '@panda/tuner';

const { values } = parseArgs({
  options: {
    train: { type: 'string', default: '4000' },
    dev: { type: 'string', default: '500' },
    epochs: { type: 'string', default: '3' },
    'probe-epochs': { type: 'string' },
    seeds: { type: 'string', default: '1,2,3' },
    'prompt-length': { type: 'string', default: '16' },
    methods: { type: 'string', default: 'linear-probe,prompt-tuning' },
    out: { type: 'string', default: 'docs/results/sst2-foundation.json' },
  },
});

const backend = await initBackend({ log: console.log });
const backbone = await loadUseLite();
const ctx = { dataDir: experimentDataDir() };
const [train, dev, test] = await Promise.all((['train', 'dev', 'test'] as const).map((s) => sst2Task.load(s, ctx)));
const seeds = values.seeds!.split(',').map(Number);
const methods = values.methods!.split(',') as Array<'linear-probe' | 'prompt-tuning'>;
const runs: unknown[] = [];
for (const method of methods) {
  for (const seed of seeds) {
    const config: TuneConfigInput = {
      method,
      seed,
      epochs: Number(method === 'linear-probe' ? (values['probe-epochs'] ?? values.epochs) : values.epochs),
      maxTrainExamples: Number(values.train),
      maxEvalExamples: Number(values.dev),
      promptLength: Number(values['prompt-length']),
    };
    const t0 = performance.now();
    const r = await tune({
      backbone,
      data: { train: train!.examples, dev: dev!.examples, test: test!.examples, labels: sst2Task.labels },
      config,
      onProgress: (e) => {
        if (e.type === 'eval') console.log(`  ${method} seed ${seed} epoch ${e.epoch}: dev ${(e.metrics['devAccuracy']! * 100).toFixed(1)} % loss ${e.metrics['trainLoss']!.toFixed(4)}`);
      },
    });
    const wall = (performance.now() - t0) / 1000;
    tf.dispose(r.weights);
    const row = { method, seed, ...r.metrics, steps: r.steps, stepsPerSecond: r.stepsPerSecond, trainSeconds: r.trainSeconds, wallSeconds: wall, sizes: r.sizes, history: r.history, config: r.config };
    runs.push(row);
    console.log(`${method} seed ${seed}: test ${(r.metrics.testAccuracy! * 100).toFixed(2)} %, dev ${(r.metrics.devScore * 100).toFixed(2)} %, ${r.steps} steps at ${r.stepsPerSecond.toFixed(2)} steps/s, wall ${wall.toFixed(0)} s`);
  }
}
const out = { date: new Date().toISOString(), backend: backend.name, machine: `${(await import('node:os')).cpus()[0]?.model} x${(await import('node:os')).cpus().length}`, args: values, runs };
await mkdir(dirname(values.out!), { recursive: true });
await writeFile(values.out!, JSON.stringify(out, null, 2) + '\n');
backbone.dispose();
