/**
 * The probe that chose the similarity defaults (mode, placeholder, calibration) of zero-shot
 * scoring on USE-Lite; see docs/results/templates.md. Arguments: task, number of dev rows (seeded
 * sample 'probe'), then a JSON list of [template, SimilarityOptions] pairs:
 *
 *   node --conditions=@panda/source --import tsx experiments/templates-probe.ts sst2 300 '[["{text|shorten} It was {mask}.",{"calibration":"mean"}]]'
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@panda/runtime';
import { loadUseLite } from '@panda/backbones';
import { getTask, sample } from '@panda/datasets';
import { experimentDataDir } from './dataDir.js';
import { backboneEmbedder } from '../packages/templates/src/embed/embedder.js';
import { Template } from '../packages/templates/src/syntax/template.js';
import { SimilarityClassifier, type SimilarityOptions } from '../packages/templates/src/verbalizers/similarity.js';
import { defaultLabelWords } from '../packages/templates/src/verbalizers/labelWords.js';

await initBackend({ backend: 'wasm', log: console.log });
const backbone = await loadUseLite();
const emb = backboneEmbedder(backbone, tf);
const [name, n, ...rest] = process.argv.slice(2);
const task = getTask(name!);
const dev = (await task.load(task.splits.includes('dev') ? 'dev' : 'test', { dataDir: experimentDataDir() })).examples;
const xs = sample(dev, Number(n), 'probe');
const words = defaultLabelWords(task.labels);
const variants: Array<[string, SimilarityOptions]> = JSON.parse(rest.join(' '));
for (const [src, opts] of variants) {
  const clf = new SimilarityClassifier(Template.parse(src), words, opts);
  const t0 = performance.now();
  const r = await clf.evaluate(xs, emb);
  console.log(name, JSON.stringify(src), JSON.stringify(opts), (r.accuracy * 100).toFixed(1), `${((performance.now() - t0) / 1000).toFixed(1)}s`);
}
