import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@panda/runtime';
import { loadUseLite, type Backbone } from '@panda/backbones';
import type { Example } from '@panda/datasets';
import { tune } from './tune.js';
import { encodeExamples } from '../data/batches.js';
import { Template, softLayout } from '@panda/templates';
import { saveRun } from '../io/saveRun.js';
import { loadRun } from '../io/loadRun.js';
import { TOY_LABELS, toyReviews } from '../testing/toyReviews.js';

let backbone: Backbone;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  backbone = await loadUseLite();
});
afterAll(() => backbone.dispose());

const toy = toyReviews;
const labels = [...TOY_LABELS];
const MIXED = '{soft:2} {text|shorten} {soft:"It was"} {mask}.';

describe('tuning with a template (hard text mixed with trainable soft tokens)', () => {
  it('renders every example through the template and records the soft positions', () => {
    const template = Template.parse(MIXED);
    const layout = softLayout(template, backbone.tokenizer);
    expect(layout.rows).toBe(2 + backbone.tokenizer.encode('It was').length);
    const set = encodeExamples(backbone.tokenizer, toy(4), 60, { template, layout });
    const text = backbone.tokenizer.encode(toy(1)[0]!.text);
    // Two soft rows, the text's tokens, then the "It was" rows and the final '.'.
    expect(set.ids[0]!.slice(2, 2 + text.length)).toEqual(text);
    expect(set.soft![0]!.map((s) => s.row)).toEqual(Array.from({ length: layout.rows }, (_, i) => i));
    expect(set.soft![0]!.slice(0, 2).map((s) => s.position)).toEqual([0, 1]);
    expect(set.soft![0]![2]!.position).toBe(2 + text.length);
  });

  it('trains the soft tokens where the template puts them, starting from their init words, and nothing goes in front', async () => {
    const start = tf.memory().numTensors;
    const layout = softLayout(Template.parse(MIXED), backbone.tokenizer);
    const frozen = await tune({ backbone, data: { train: toy(16), dev: toy(8, 1), labels }, config: { template: MIXED, epochs: 1, batchSize: 8, seed: 4, lr: 1e-12, headLr: 0.05 } });
    expect(frozen.template).toEqual({ source: Template.parse(MIXED).source, softRows: layout.rows });
    expect(frozen.weights.prompt!.shape).toEqual([layout.rows, 256]);
    // With a vanishing learning rate the "It was" rows are still the input vectors of those tokens.
    const initIds = backbone.tokenizer.encode('It was');
    const expected = tf.tidy(() => tf.gather(backbone.tokenInputTable(), tf.tensor1d(initIds, 'int32')));
    const got = tf.tidy(() => tf.slice(frozen.weights.prompt!, [2, 0], [initIds.length, 256]));
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(got, expected))).dataSync()[0]!)).toBeLessThan(1e-6);
    tf.dispose([expected, got, frozen.weights]);

    const trained = await tune({ backbone, data: { train: toy(48), dev: toy(12, 1), labels }, config: { template: MIXED, epochs: 4, batchSize: 8, seed: 3, lr: 0.03, headLr: 0.05 } });
    expect(trained.metrics.devAccuracy).toBeGreaterThanOrEqual(0.9);
    expect(trained.trainableParams).toBe(layout.rows * 256 + 512 * 2 + 2);
    tf.dispose(trained.weights);
    expect(tf.memory().numTensors).toBe(start);
  });

  it('leaks no tensor per step', async () => {
    const counts: number[] = [];
    const r = await tune({
      backbone,
      data: { train: toy(40), dev: toy(4, 1), labels },
      config: { template: MIXED, epochs: 1, batchSize: 2, seed: 2 },
      onProgress: (e) => void (e.type === 'step' && counts.push(tf.memory().numTensors)),
    });
    expect(counts).toHaveLength(20);
    expect(counts[19]).toBe(counts[0]);
    tf.dispose(r.weights);
  });

  it('saves the template with the run, and refuses soft tokens for methods that cannot train them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'panda-template-'));
    try {
      const r = await tune({ backbone, data: { train: toy(8), dev: toy(4, 1), labels }, config: { template: MIXED, epochs: 1, batchSize: 8 } });
      await saveRun(dir, r, { task: 'toy', labels });
      tf.dispose(r.weights);
      const run = await loadRun(dir);
      expect(run.adapter.template).toBe(MIXED);
      expect(run.adapter.promptLength).toBe(run.weights.prompt!.shape[0]);
      tf.dispose(run.weights);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const data = { train: toy(4), dev: toy(2), labels };
    await expect(tune({ backbone, data, config: { method: 'deep-prompt-tuning', template: MIXED } })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('prompt-tuning') });
    await expect(tune({ backbone, data, config: { template: '{text} It was {mask' } })).rejects.toMatchObject({ code: 'TEMPLATE_INVALID' });
    // A template without soft tokens works with any method (here deep prompts: hard text only).
    const deep = await tune({ backbone, data, config: { method: 'deep-prompt-tuning', template: '{text|shorten} It was {mask}.', epochs: 1, promptLength: 2 } });
    expect(deep.template?.softRows).toBe(0);
    tf.dispose(deep.weights);
  });
});
