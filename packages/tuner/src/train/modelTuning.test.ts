import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@panda/runtime';
import { loadUseLite, type Backbone } from '@panda/backbones';
import { tune } from './tune.js';
import { saveRun } from '../io/saveRun.js';
import type { TuneConfigInput } from '../config.js';
import { TOY_LABELS, toyReviews } from '../testing/toyReviews.js';

let backbone: Backbone;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  backbone = await loadUseLite();
});
afterAll(() => backbone.dispose());

const toy = toyReviews;
const labels = [...TOY_LABELS];
const model: TuneConfigInput = { method: 'model-tuning', epochs: 1, batchSize: 4, seed: 3, modelLr: 1e-4, headLr: 0.01, schedule: 'constant' };

/** Every tensor of the backbone's (frozen) encoder, copied to host memory. */
function encoderSnapshot(): Buffer[] {
  const out: Buffer[] = [];
  const walk = (v: unknown): void => {
    if (v instanceof tf.Tensor) out.push(Buffer.from(Float32Array.from(v.dataSync() as Float32Array).buffer));
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk((backbone.encoder as unknown as { weights: unknown }).weights);
  return out;
}

describe('tune: model tuning (every USE-Lite weight trainable)', () => {
  it('changes every encoder weight on a copy, leaves the backbone untouched, leaks nothing per step, and saves the weights', async () => {
    const before = encoderSnapshot();
    const start = tf.memory().numTensors;
    const counts: number[] = [];
    const r = await tune({
      backbone,
      data: { train: toy(12), dev: toy(4, 1), labels },
      config: model,
      onProgress: (e) => void (e.type === 'step' && counts.push(tf.memory().numTensors)),
    });
    expect(r.steps).toBe(3);
    expect(new Set(counts).size).toBe(1);
    const after = encoderSnapshot();
    expect(after.every((b, i) => b.equals(before[i]!))).toBe(true);
    const encoderKeys = Object.keys(r.weights).filter((k) => k.startsWith('encoder/'));
    expect(encoderKeys.length).toBe(29); // embeddings, 14 tensors of layer 0 (with its residual projection), 12 of layer 1, tanh W and b
    // Every trained weight differs from the shipped one (embeddings: only rows of ids the data used).
    const named = (backbone.encoder as unknown as { weights: Record<string, unknown> }).weights;
    const shipped = (name: string): tf.Tensor => {
      const m = /^layer(\d)\/(.+)$/.exec(name);
      return (m ? (named['layers'] as Array<Record<string, tf.Tensor>>)[Number(m[1])]![m[2]!] : named[name]) as tf.Tensor;
    };
    const unchanged = encoderKeys.filter((k) => Buffer.from((r.weights[k]!.dataSync() as Float32Array).buffer).equals(Buffer.from((shipped(k.slice(8)).dataSync() as Float32Array).buffer)));
    expect(unchanged).toEqual([]);
    expect(r.trainableParams).toBe(encoderKeys.reduce((a, k) => a + r.weights[k]!.size, 0) + 512 * 2 + 2);
    console.log(`model tuning: ${r.trainableParams} trainable parameters; tensors ${start} before, ${counts[0]} after step 1, ${counts.at(-1)} after step ${counts.length}`);
    const dir = await mkdtemp(join(tmpdir(), 'panda-model-run-'));
    await saveRun(dir, r, { task: 'toy', labels });
    const cfg = JSON.parse(await readFile(join(dir, 'panda_adapter.json'), 'utf8'));
    expect(cfg.method).toBe('model-tuning');
    expect(cfg.tensors['encoder/layer1/qkvW']).toEqual([512, 1536]);
    tf.dispose(r.weights);
    expect(tf.memory().numTensors).toBe(start);
  });

  it('an interrupted run resumed from its checkpoint ends exactly like the uninterrupted run', async () => {
    const config: TuneConfigInput = { ...model, epochs: 2 };
    const data = { train: toy(12), dev: toy(4, 1), labels };
    const full = await tune({ backbone, data, config });
    const dir = await mkdtemp(join(tmpdir(), 'panda-model-ckpt-'));
    const controller = new AbortController();
    const cut = await tune({
      backbone,
      data,
      config,
      checkpoint: { dir, everySteps: 2 },
      signal: controller.signal,
      onProgress: (e) => {
        if (e.type === 'step' && e.step === 5) controller.abort(); // 3 steps per epoch: mid-epoch 2, last checkpoint at step 4
      },
    });
    tf.dispose(cut.weights);
    expect(JSON.parse(await readFile(join(dir, 'checkpoint.json'), 'utf8')).step).toBe(4);
    const resumed = await tune({ backbone, data, config, checkpoint: { dir, everySteps: 2 } });
    expect(resumed.resumedFrom).toBe(4);
    expect(resumed.history).toEqual(full.history);
    const same = Object.keys(full.weights).every((k) => Buffer.from((full.weights[k]!.dataSync() as Float32Array).buffer).equals(Buffer.from((resumed.weights[k]!.dataSync() as Float32Array).buffer)));
    expect(same).toBe(true);
    tf.dispose([...Object.values(full.weights), ...Object.values(resumed.weights)]);
  });

  it('refuses a backbone without the capability, with CONFIG_INVALID', async () => {
    const { trainableCopy: _t, prefixLayout: _p, ...rest } = backbone.encoder as unknown as Record<string, unknown>;
    const bare = { ...backbone, encoder: { ...rest, hidden: 512, embedDim: 256, maxPositions: 128, forward: backbone.encoder.forward.bind(backbone.encoder), dispose: () => {} } } as unknown as Backbone;
    const start = tf.memory().numTensors;
    await expect(tune({ backbone: bare, data: { train: toy(4), dev: toy(2), labels }, config: model })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(tune({ backbone: bare, data: { train: toy(4), dev: toy(2), labels }, config: { method: 'deep-prompt-tuning' } })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    expect(tf.memory().numTensors).toBe(start);
  });
});
