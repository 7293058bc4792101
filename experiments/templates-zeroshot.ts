/**
 * Zero-shot prompting on USE-Lite (no MLM head: classes are scored by the cosine of the rendered
 * input and each label word's rendered label view, mean-calibrated). For each task:
 *  - every built-in (hand-written) template of the task's family, with the default label words, on dev;
 *  - the automatic search (templates from the pattern grammar, label words mined from train data),
 *    which selects on a "search split" of 200 training examples and ranks words on other training
 *    examples; its winner is then scored once on dev;
 *  - random candidates from the same space (grammar template + one pool word per class), on dev.
 * Dev is a seeded sample of at most --dev examples of the task's dev split.
 *
 *   node --conditions=@panda/source --import tsx experiments/templates-zeroshot.ts --tasks sst2,mr,agnews,rte,cb --out docs/results/templates-zeroshot.json
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@panda/runtime';
import { loadUseLite } from '@panda/backbones';
import { getTask, sample } from '@panda/datasets';
import { experimentDataDir } from './dataDir.js';
// @panda/templates is not yet a dependency of the experiments package: import its source directly.
import { backboneEmbedder, defaultLabelWords, evaluateCandidate, randomCandidates, searchPrompts, SimilarityClassifier, templatesForTask } from '@panda/templates';

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: 'sst2,mr,agnews,rte,cb' },
    dev: { type: 'string', default: '500' },
    search: { type: 'string', default: '200' },
    templates: { type: 'string', default: '8' },
    random: { type: 'string', default: '8' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string', default: 'docs/results/templates-zeroshot.json' },
  },
});

const backend = await initBackend({ log: console.log });
const backbone = await loadUseLite();
const embedder = backboneEmbedder(backbone, tf);
const ctx = { dataDir: experimentDataDir() };
const seed = Number(values.seed);
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const pct = (x: number): string => (x * 100).toFixed(1);
const rows: unknown[] = [];
const t00 = performance.now();

for (const name of values.tasks!.split(',')) {
  const t0 = performance.now();
  const rows0 = embedder.stats.rows;
  const task = getTask(name);
  const [trainAll, devAll] = await Promise.all([task.load('train', ctx), task.load('dev', ctx)]);
  const dev = sample(devAll.examples, Number(values.dev), 'templates-dev');
  const shuffled = sample(trainAll.examples, trainAll.examples.length, `templates-search/${seed}`);
  const searchSplit = shuffled.slice(0, Number(values.search));
  const mining = shuffled.slice(Number(values.search));
  const words = defaultLabelWords(task.labels);
  console.log(`\n${name}: ${task.type}, labels ${task.labels.join('/')}, dev ${dev.length}, search split ${searchSplit.length}, mining ${mining.length}`);

  const hand: Array<{ name: string; style: string; template: string; answer?: string; dev: number }> = [];
  for (const f of templatesForTask(task, words)) {
    const clf = new SimilarityClassifier(f.template, words, f.answer ? { answer: f.answer } : {});
    const { accuracy } = await clf.evaluate(dev, embedder);
    hand.push({ name: f.name, style: f.style, template: f.template.source, ...(f.answer ? { answer: f.answer.source } : {}), dev: accuracy });
    console.log(`  hand ${f.name.padEnd(20)} dev ${pct(accuracy)}  ${f.template.source}`);
  }
  const bestHand = hand.reduce((a, b) => (b.dev > a.dev ? b : a));

  const ts = performance.now();
  const search = await searchPrompts({
    task,
    train: mining,
    dev: searchSplit,
    embedder,
    config: { seed, templates: Number(values.templates) },
    onProgress: (e) => {
      if (e.type === 'step') console.log(`  search template ${e.step}/${e.total}: best on search split so far this template ${pct(1 - (e.loss ?? 1))}`);
    },
  });
  const searchSeconds = (performance.now() - ts) / 1000;
  const autoDev = await evaluateCandidate(search.best, dev, embedder);
  const auto = { template: search.best.template.source, answer: search.best.answer?.source, words: search.best.words.words, search: search.best.score, dev: autoDev, candidates: search.candidates.length, searchSeconds };
  console.log(`  auto dev ${pct(autoDev)} (search split ${pct(search.best.score)}, ${search.candidates.length} candidates, ${searchSeconds.toFixed(0)} s)  ${auto.template}  words ${JSON.stringify(auto.words)}`);

  const randoms = [];
  for (const c of randomCandidates(task, mining, Number(values.random), { seed })) {
    const acc = await evaluateCandidate(c, dev, embedder);
    randoms.push({ template: c.template.source, words: c.words.words, dev: acc });
    console.log(`  random dev ${pct(acc)}  ${c.template.source}  ${JSON.stringify(c.words.words)}`);
  }
  const randomMedian = median(randoms.map((r) => r.dev));
  const majority = Math.max(...task.labels.map((_, c) => dev.filter((x) => x.label === c).length)) / dev.length;
  const seconds = (performance.now() - t0) / 1000;
  rows.push({ task: name, type: task.type, devSize: dev.length, searchSize: searchSplit.length, majority, hand, bestHand, auto, randoms, randomMedian, seconds, embeddedRows: embedder.stats.rows - rows0 });
  console.log(`  => ${name}: majority ${pct(majority)} | best hand-written ${pct(bestHand.dev)} (${bestHand.name}) | auto ${pct(autoDev)} | random median ${pct(randomMedian)} | ${seconds.toFixed(0)} s, ${embedder.stats.rows - rows0} rows embedded`);
}

console.log('\n| task | dev n | majority | best hand-written | automatic | random median (n) |');
console.log('|---|---|---|---|---|---|');
for (const r of rows as Array<{ task: string; devSize: number; majority: number; bestHand: { dev: number; name: string }; auto: { dev: number }; randomMedian: number; randoms: unknown[] }>) {
  console.log(`| ${r.task} | ${r.devSize} | ${pct(r.majority)} | ${pct(r.bestHand.dev)} (${r.bestHand.name}) | ${pct(r.auto.dev)} | ${pct(r.randomMedian)} (${r.randoms.length}) |`);
}
const totalSeconds = (performance.now() - t00) / 1000;
console.log(`total ${totalSeconds.toFixed(0)} s wall, backend ${backend.name}`);
await mkdir(dirname(values.out!), { recursive: true });
await writeFile(values.out!, `${JSON.stringify({ backend: backend.name, model: backbone.id, seed, options: values, totalSeconds, tasks: rows }, null, 2)}\n`);
backbone.dispose();
