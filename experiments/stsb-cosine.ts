/**
 * A reference point for the grid's STS-B column: USE-Lite zero-shot, each sentence embedded on its
 * own and scored by the cosine of the two embeddings (the two-tower use the model was trained for),
 * against the gold scores, on the grid's dev sample (seed `42/dev`, 100 rows) and on all of dev.
 * The grid's runs instead join the pair into one sequence and train a linear head on it.
 *
 *   node --conditions=@panda/source --import tsx experiments/stsb-cosine.ts [--seed 42] [--dev 100]
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { cosine } from '@panda/core';
import { initBackend } from '@panda/runtime';
import { loadUseLite } from '@panda/backbones';
import { getTask, pearson, pearsonAndSpearman, sample, spearman, type Example } from '@panda/datasets';
import { experimentDataDir } from './dataDir.js';
import { modelOfPrompt } from '@panda/tuner';

const { values } = parseArgs({ options: { seed: { type: 'string', default: '42' }, dev: { type: 'string', default: '100' } } });
await initBackend();
const backbone = await loadUseLite();
/** The plain frozen encoder as an adapted model (no prompt). */
const plain = modelOfPrompt(backbone, {});
const dev = (await getTask('stsb').load('dev', { dataDir: experimentDataDir() })).examples;

async function score(xs: readonly Example[]): Promise<{ pearson: number; spearman: number; combined: number }> {
  const embed = async (texts: string[]): Promise<Float32Array> => {
    const set = plain.encode(texts.map((text, i) => ({ id: String(i), text, label: 0 })));
    const e = await plain.setFeatures(set, 64); // [N, 512], unit rows
    const out = e.dataSync() as Float32Array; // [N·512]
    e.dispose();
    return out;
  };
  const a = await embed(xs.map((x) => x.text));
  const b = await embed(xs.map((x) => x.textB!));
  const d = 512;
  const cos = xs.map((_, i) => cosine(a.subarray(i * d, (i + 1) * d), b.subarray(i * d, (i + 1) * d)));
  const gold = xs.map((x) => x.label);
  return { pearson: pearson(cos, gold), spearman: spearman(cos, gold), combined: pearsonAndSpearman(cos, gold) };
}

const picked = sample(dev, Number(values.dev), `${values.seed}/dev`);
const f = (r: Awaited<ReturnType<typeof score>>) => `Pearson ${(r.pearson * 100).toFixed(1)}, Spearman ${(r.spearman * 100).toFixed(1)}, mean ${(r.combined * 100).toFixed(1)}`;
console.log(`STS-B dev sample (${picked.length} rows, seed ${values.seed}/dev): ${f(await score(picked))}`);
console.log(`STS-B dev, all ${dev.length} rows: ${f(await score(dev))}`);
console.log(`tensors left: ${tf.memory().numTensors}`);
backbone.dispose();
