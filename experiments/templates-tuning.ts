/**
 * Prompt tuning started from the best zero-shot template vs from the plain input (USE-Lite, same
 * seeds, same sampled training rows). Three arms:
 * - plain: the raw text, m soft rows in front;
 * - template: each example rendered through the template (hard text, the mask left empty), m soft
 *   rows in front;
 * - mixed: the tuner's `template` option with `{soft:m}` first and every word of the template turned
 *   into soft tokens initialised from those words (`{soft:"In summary, this is"}`), so the template's
 *   own text trains where it stands.
 *
 *   node --conditions=@panda/source --import tsx experiments/templates-tuning.ts --task sst2 --train 256 --epochs 5 --seeds 1,2,3 --out docs/results/templates-tuning.json
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@panda/runtime';
import { loadUseLite } from '@panda/backbones';
import { getTask, sample, type Example } from '@panda/datasets';
import { experimentDataDir } from './dataDir.js';
import { tune } from '@panda/tuner';
import { renderText, Template } from '@panda/templates';

const { values } = parseArgs({
  options: {
    task: { type: 'string', default: 'sst2' },
    train: { type: 'string', default: '256' },
    dev: { type: 'string', default: '500' },
    epochs: { type: 'string', default: '5' },
    seeds: { type: 'string', default: '1,2,3' },
    'prompt-length': { type: 'string', default: '16' },
    from: { type: 'string', default: 'docs/results/templates-zeroshot.json' },
    template: { type: 'string' },
    out: { type: 'string', default: 'docs/results/templates-tuning.json' },
  },
});

const backend = await initBackend({ log: console.log });
const backbone = await loadUseLite();
const task = getTask(values.task!);
const ctx = { dataDir: experimentDataDir() };

// The best zero-shot template for the task (hand-written or automatic, by dev accuracy), unless given.
let source = values.template;
if (!source) {
  const zs = JSON.parse(await readFile(values.from!, 'utf8')) as { tasks: Array<{ task: string; bestHand: { template: string; dev: number }; auto: { template: string; dev: number } }> };
  const row = zs.tasks.find((t) => t.task === values.task);
  if (!row) throw new Error(`${values.task} is not in ${values.from}`);
  source = row.auto.dev >= row.bestHand.dev ? row.auto.template : row.bestHand.template;
}
const template = Template.parse(source);
console.log(`template: ${template.source}`);

const splits = await Promise.all((['train', 'dev', 'test'] as const).filter((s) => task.splits.includes(s)).map((s) => task.load(s, ctx)));
const [train, devAll, test] = splits.map((s) => s.examples);
const dev = sample(devAll!, Number(values.dev), 'templates-dev');
const render = (xs: readonly Example[]): Example[] => xs.map(({ textB: _b, ...x }) => ({ ...x, text: renderText(template, { ...x, ...(_b !== undefined ? { textB: _b } : {}) }, { mask: '' }) }));
console.log(`example: ${render(dev.slice(0, 1))[0]!.text}`);

// The mixed template: m soft rows first, then the template with each piece of its text made a soft
// token initialised from that text (fields and the mask stay as they are).
const m = Number(values['prompt-length']);
const mixed = Template.fromAst({
  nodes: [
    { kind: 'soft', id: null, count: m, init: null },
    ...template.ast.nodes.map((n) => (n.kind === 'text' && /\p{L}/u.test(n.value) ? { kind: 'soft' as const, id: null, count: null, init: n.value.trim() } : n)),
  ],
});
console.log(`mixed template: ${mixed.source}`);

const arms: Record<string, { train: Example[]; dev: Example[]; test: Example[] | undefined; template?: string }> = {
  plain: { train: train!, dev, test },
  template: { train: render(train!), dev: render(dev), test: test ? render(test) : undefined },
  mixed: { train: train!, dev, test, template: mixed.source },
};
const runs: Array<Record<string, unknown>> = [];
for (const seed of values.seeds!.split(',').map(Number)) {
  for (const [arm, data] of Object.entries(arms)) {
    const t0 = performance.now();
    const r = await tune({
      backbone,
      data: { train: data.train, dev: data.dev, ...(data.test ? { test: data.test } : {}), labels: task.labels },
      config: { method: 'prompt-tuning', seed, epochs: Number(values.epochs), maxTrainExamples: Number(values.train), promptLength: m, ...(data.template ? { template: data.template } : {}) },
    });
    tf.dispose(r.weights);
    const wall = (performance.now() - t0) / 1000;
    runs.push({ arm, seed, devAccuracy: r.metrics.devAccuracy, testAccuracy: r.metrics.testAccuracy, trainableParams: r.trainableParams, bestStep: r.metrics.bestStep, steps: r.steps, stepsPerSecond: r.stepsPerSecond, truncated: r.truncated, wallSeconds: wall, history: r.history });
    console.log(`${arm.padEnd(8)} seed ${seed}: dev ${(r.metrics.devScore * 100).toFixed(1)} %, test ${r.metrics.testAccuracy !== undefined ? (r.metrics.testAccuracy * 100).toFixed(1) : '-'} %, ${r.steps} steps at ${r.stepsPerSecond.toFixed(2)}/s, ${wall.toFixed(0)} s`);
  }
}
const stats = (xs: number[]): { mean: number; sd: number } => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean, sd: Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, xs.length - 1)) };
};
const summary: Record<string, unknown> = {};
console.log('\n| start | dev acc (mean ± sd) | test acc (mean ± sd) | per seed (dev / test) |\n|---|---|---|---|');
for (const arm of Object.keys(arms)) {
  const mine = runs.filter((r) => r.arm === arm);
  const d = stats(mine.map((r) => r.devAccuracy as number));
  const t = mine.every((r) => r.testAccuracy !== undefined) ? stats(mine.map((r) => r.testAccuracy as number)) : undefined;
  summary[arm] = { dev: d, test: t };
  const f = (s: { mean: number; sd: number }): string => `${(s.mean * 100).toFixed(1)} ± ${(s.sd * 100).toFixed(1)}`;
  console.log(`| ${arm} | ${f(d)} | ${t ? f(t) : '-'} | ${mine.map((r) => `${((r.devAccuracy as number) * 100).toFixed(1)} / ${r.testAccuracy !== undefined ? ((r.testAccuracy as number) * 100).toFixed(1) : '-'}`).join(', ')} |`);
}
await mkdir(dirname(values.out!), { recursive: true });
await writeFile(values.out!, `${JSON.stringify({ backend: backend.name, model: backbone.id, task: values.task, template: template.source, mixedTemplate: mixed.source, options: values, summary, runs }, null, 2)}\n`);
backbone.dispose();
