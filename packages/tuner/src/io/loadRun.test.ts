import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@panda/runtime';
import { isPandaError } from '@panda/core';
import { loadUseLite, type Backbone } from '@panda/backbones';
import { tune } from '../train/tune.js';
import { saveRun } from './saveRun.js';
import { loadRun } from './loadRun.js';

let backbone: Backbone;
let dir: string;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  backbone = await loadUseLite();
  dir = await mkdtemp(join(tmpdir(), 'panda-loadrun-'));
});
afterAll(async () => {
  backbone.dispose();
  await rm(dir, { recursive: true, force: true });
});

const ex = (i: number) => ({ id: `t:${i}`, text: i % 2 ? 'a fine film' : 'a dull film', label: i % 2 });

describe('loadRun', () => {
  it('reads back exactly what saveRun wrote, with extra manifest fields', async () => {
    const r = await tune({ backbone, data: { train: [0, 1, 2, 3].map(ex), dev: [4, 5].map(ex), labels: ['neg', 'pos'] }, config: { epochs: 1, batchSize: 2, promptLength: 3, seed: 1 } });
    const run = join(dir, 'run');
    await saveRun(run, r, { task: 'toy', labels: ['neg', 'pos'], manifest: { source: 'other' } });
    const loaded = await loadRun(run);
    expect(loaded.adapter.method).toBe('prompt-tuning');
    expect(loaded.adapter.labels).toEqual(['neg', 'pos']);
    expect(loaded.manifest.source).toBe('other');
    for (const [k, t] of Object.entries(r.weights)) {
      expect(Buffer.from((loaded.weights[k]!.dataSync() as Float32Array).buffer).equals(Buffer.from((t.dataSync() as Float32Array).buffer))).toBe(true);
    }
    tf.dispose([r.weights, loaded.weights]);
  });

  it('gives typed errors for a missing folder and a broken config', async () => {
    await expect(loadRun(join(dir, 'nope'))).rejects.toSatisfy((e) => isPandaError(e, 'MODEL_NOT_FOUND'));
    await writeFile(join(dir, 'run', 'adapter_config.json'), '{"formatVersion": 1}');
    await expect(loadRun(join(dir, 'run'))).rejects.toSatisfy((e) => isPandaError(e, 'CHECKPOINT_INVALID'));
  });
});
