import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readdir, rename, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@panda/runtime';
import { isPandaError } from '@panda/core';
import { loadUseLite, type Backbone } from '@panda/backbones';
import { tune } from '../train/tune.js';
import { saveRun } from './saveRun.js';
import { loadRun } from './loadRun.js';
import { loadAdaptedModel } from './loadModel.js';
import { prepareOutDir } from './outDir.js';
import { evaluateSet } from '../eval/evaluate.js';

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
    await writeFile(join(dir, 'run', 'panda_adapter.json'), '{"formatVersion": 1}');
    await expect(loadRun(join(dir, 'run'))).rejects.toSatisfy((e) => isPandaError(e, 'CHECKPOINT_INVALID'));
  });

  it('saves panda_adapter.json (not PEFT\'s adapter_config.json); a run of panda 0.1 (adapter_config.json only) loads and predicts the same', async () => {
    const r = await tune({ backbone, data: { train: [0, 1, 2, 3].map(ex), dev: [4, 5].map(ex), labels: ['neg', 'pos'] }, config: { epochs: 1, batchSize: 2, promptLength: 3, seed: 2 } });
    const run = join(dir, 'old-layout');
    const names = ['adapter.safetensors', 'manifest.json', 'panda_adapter.json'];
    try {
      const { files } = await saveRun(run, r, { task: 'toy', labels: ['neg', 'pos'] });
      expect(files.map((f) => f.slice(run.length + 1))).toEqual(['adapter.safetensors', 'panda_adapter.json', 'manifest.json']);
      expect((await readdir(run)).sort()).toEqual(names);
      const examples = [0, 1, 2, 3, 4, 5, 6, 7].map(ex);
      const now = await loadAdaptedModel(run, backbone);
      const before = await evaluateSet(now.model, now.model.encode(examples), 4);
      now.model.dispose();

      // The layout of panda 0.1: the same config under PEFT's file name.
      await rename(join(run, 'panda_adapter.json'), join(run, 'adapter_config.json'));
      expect(await prepareOutDir(run)).toMatchObject({ finished: true });
      const old = await loadAdaptedModel(run, backbone);
      expect(old.adapter).toEqual(now.adapter);
      const after = await evaluateSet(old.model, old.model.encode(examples), 4);
      old.model.dispose();
      expect(after).toEqual(before);

      // Saving over the old run writes the new name and drops the old config (one config per folder).
      await saveRun(run, r, { task: 'toy', labels: ['neg', 'pos'] });
      expect((await readdir(run)).sort()).toEqual(names);
    } finally {
      tf.dispose(r.weights);
    }
  });

  it('a PEFT adapter folder (adapter_config.json with peft_type) is not read as a run', async () => {
    const peft = join(dir, 'peft-only');
    await mkdir(peft, { recursive: true });
    await writeFile(join(peft, 'adapter_config.json'), JSON.stringify({ peft_type: 'PROMPT_TUNING', task_type: 'SEQ_CLS', num_virtual_tokens: 3 }));
    await writeFile(join(peft, 'manifest.json'), '{}');
    expect(await prepareOutDir(peft)).toMatchObject({ finished: false });
    await expect(loadRun(peft)).rejects.toSatisfy((e) => isPandaError(e, 'CHECKPOINT_INVALID') && /holds a PEFT adapter .*panda import .* --format peft/.test((e as Error).message));
    // Beside a run's own config, PEFT's file is left alone by a save and ignored by a load.
    const r = await tune({ backbone, data: { train: [0, 1, 2, 3].map(ex), dev: [4, 5].map(ex), labels: ['neg', 'pos'] }, config: { epochs: 1, batchSize: 2, promptLength: 3, seed: 3 } });
    try {
      await saveRun(peft, r, { task: 'toy', labels: ['neg', 'pos'] });
      expect((await readdir(peft)).sort()).toEqual(['adapter.safetensors', 'adapter_config.json', 'manifest.json', 'panda_adapter.json']);
      const loaded = await loadRun(peft);
      expect(loaded.adapter.method).toBe('prompt-tuning');
      tf.dispose(loaded.weights);
    } finally {
      tf.dispose(r.weights);
    }
  });
});
