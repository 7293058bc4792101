/**
 * Memory over a long run: prompt tuning for N steps on short texts, printing tfjs tensor count and
 * bytes, the wasm heap and the process RSS every `every` steps. A leak shows as growth.
 *
 *   node --conditions=@panda/source --import tsx experiments/soak-memory.ts --steps 2000
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@panda/runtime';
import { loadUseLite } from '@panda/backbones';
import { loadSpamAssassin } from '@panda/datasets';
import { tune } from '@panda/tuner';

const { values } = parseArgs({ options: { steps: { type: 'string', default: '2000' }, every: { type: 'string', default: '200' }, batch: { type: 'string', default: '4' } } });
const steps = Number(values.steps);
const every = Number(values.every);
const batch = Number(values.batch);
await initBackend({ log: console.log });
const backbone = await loadUseLite();
// Real short texts: email subjects from the SpamAssassin corpus (npm), so no data directory is needed.
const emails = await loadSpamAssassin();
// Two epochs over half as many examples when the corpus is smaller than steps × batch.
const epochs = Math.ceil((steps * batch) / emails.length);
const perEpoch = Math.ceil(steps / epochs) * batch;
const train = emails.slice(0, perEpoch).map((e, i) => ({ ...e, id: `s${i}`, text: e.text.split('. ')[0]!.slice(0, 120) }));
const dev = train.slice(0, 8);
const rows: string[] = [];
const mb = (n: number) => (n / 2 ** 20).toFixed(1);
const startTensors = tf.memory().numTensors;
const t0 = performance.now();
const r = await tune({
  backbone,
  data: { train, dev, labels: ['ham', 'spam'] },
  config: { epochs, batchSize: batch, promptLength: 8, seed: 1, bucket: 0 },
  onProgress: (e) => {
    if (e.type === 'step' && (e.step === 1 || e.step % every === 0)) {
      const m = tf.memory() as tf.MemoryInfo & { wasmMemory?: number };
      const line = `step ${String(e.step).padStart(5)}  tensors ${m.numTensors}  tensor MiB ${mb(m.numBytes)}  rss MiB ${mb(process.memoryUsage().rss)}  heap MiB ${mb(process.memoryUsage().heapUsed)}  ${((performance.now() - t0) / 1000).toFixed(0)} s`;
      rows.push(line);
      console.log(line);
    }
  },
});
tf.dispose(r.weights);
console.log(`after the run: tensors ${tf.memory().numTensors} (before: ${startTensors}), steps ${r.steps}`);
backbone.dispose();
