import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, loadSafetensors } from '@panda/runtime';
import { isPandaError, type PandaError, type ProgressEvent } from '@panda/core';
import { loadUseLite, type Backbone } from '@panda/backbones';
import { spamTask } from '@panda/datasets';
import { tuneTask } from './tuneTask.js';
import { tune } from '../train/tune.js';
import { assertFiniteParams } from '../train/loop.js';
import { saveCheckpoint } from '../checkpoint/checkpoint.js';
import { tuneConfigSchema, type TuneConfigInput } from '../config.js';
import { loadAdaptedModel } from '../io/loadModel.js';
import { TOY_LABELS, toyReviews } from '../testing/toyReviews.js';

let backbone: Backbone;
let dir: string;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  backbone = await loadUseLite();
  dir = await mkdtemp(join(tmpdir(), 'panda-hardening-'));
});
afterAll(async () => {
  backbone.dispose();
  await rm(dir, { recursive: true, force: true });
});

async function failure(p: Promise<unknown>): Promise<PandaError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isPandaError(err)) throw new Error(`expected a PandaError, got ${String(err)}`);
  return err;
}

const small: TuneConfigInput = { epochs: 1, batchSize: 8, promptLength: 2, maxTrainExamples: 16, maxEvalExamples: 8, seed: 1 };
/**
 * Within the schema's bounds and still diverging: decoupled weight decay with lr·wd = 10 multiplies
 * the head by −9 every step, so it overflows float32 after some 40 steps and the loss turns NaN.
 */
const diverging: TuneConfigInput = { method: 'linear-probe', headLr: 10, weightDecay: 1, schedule: 'constant', batchSize: 2, epochs: 4, maxTrainExamples: 24, maxEvalExamples: 8, seed: 3 };

async function allFinite(tensors: Record<string, tf.Tensor>): Promise<boolean> {
  for (const t of Object.values(tensors)) if (!(await t.data()).every((v) => Number.isFinite(v))) return false;
  return true;
}

describe('learning rates are bounded by the config schema', () => {
  it('refuses lr, headLr and modelLr above 10 (or not positive) with a clear message, and takes 10', () => {
    for (const key of ['lr', 'headLr', 'modelLr'] as const) {
      const r = tuneConfigSchema.safeParse({ [key]: 1e308 });
      expect(r.success, key).toBe(false);
      expect(r.error!.issues[0]!.path).toEqual([key]);
      expect(r.error!.issues[0]!.message).toMatch(/at most 10/);
      expect(tuneConfigSchema.safeParse({ [key]: 0 }).success).toBe(false);
      expect(tuneConfigSchema.safeParse({ [key]: 10 }).success).toBe(true);
    }
  });

  it('a library call (or a pool or queue job) with a bad config fails with CONFIG_INVALID naming the field, before any data is read', async () => {
    // It used to escape as a bare ZodError, which process pools and queues reported as INTERNAL.
    const err = await tuneTask({ task: spamTask, backbone, config: { promptLength: 0 } }).catch((e: unknown) => e);
    expect(isPandaError(err, 'CONFIG_INVALID')).toBe(true);
    expect((err as PandaError).message).toMatch(/promptLength/);
    await expect(tune({ backbone, data: { train: toyReviews(4), dev: toyReviews(2), labels: TOY_LABELS }, config: { epochs: 0 } })).rejects.toSatisfy((e) => isPandaError(e, 'CONFIG_INVALID'));
  });
});

describe('a diverging run stops with NON_FINITE_LOSS', () => {
  it('names the step, keeps the last finite checkpoint on disk and writes no adapter', async () => {
    const out = join(dir, 'nan');
    const steps: number[] = [];
    const err = await failure(tuneTask({ task: spamTask, backbone, outDir: out, evaluateTest: false, config: diverging, checkpointEverySteps: 1, onProgress: (e) => void (e.type === 'step' && steps.push(e.step)) }));
    expect(err.code).toBe('NON_FINITE_LOSS');
    const step = err.details.step as number;
    expect(err.message).toContain(`step ${step}`);
    // It trained finite steps first, so there is a checkpoint to keep.
    expect(step).toBeGreaterThan(2);
    expect(existsSync(join(out, 'adapter.safetensors'))).toBe(false);
    expect(existsSync(join(out, 'panda_adapter.json'))).toBe(false);
    const meta = JSON.parse(await readFile(join(out, 'checkpoint', 'checkpoint.json'), 'utf8'));
    expect(meta.step).toBeLessThan(step);
    expect(meta.step).toBeGreaterThan(0);
    const { tensors } = await loadSafetensors(join(out, 'checkpoint', meta.tensorsFile));
    try {
      expect(await allFinite(tensors)).toBe(true);
    } finally {
      tf.dispose(tensors);
    }
  });

  it('tune() itself throws (no checkpoint folder): no NaN weights come back', async () => {
    const data = { train: toyReviews(24), dev: toyReviews(8, 1), labels: [...TOY_LABELS] };
    const err = await failure(tune({ backbone, data, config: diverging }));
    expect(err.code).toBe('NON_FINITE_LOSS');
    expect(err.message).toMatch(/step \d+ of \d+: the loss is NaN/);
  });

  it('weights that went inf with a still finite loss are caught before an evaluation or checkpoint keeps them', () => {
    const ok = tf.variable(tf.tensor1d([1, -2, 3e38]));
    const bad = tf.variable(tf.tensor1d([1, Number.POSITIVE_INFINITY, 0]));
    try {
      expect(() => assertFiniteParams({ params: [{ key: 'head/bias', variable: ok }] }, 7)).not.toThrow();
      let thrown: unknown;
      try {
        assertFiniteParams({ params: [{ key: 'head/bias', variable: ok }, { key: 'prompt', variable: bad }] }, 7);
      } catch (e) {
        thrown = e;
      }
      expect(isPandaError(thrown, 'NON_FINITE_LOSS')).toBe(true);
      expect((thrown as PandaError).message).toContain('after step 7: the weights prompt are no longer finite');
    } finally {
      tf.dispose([ok, bad]);
    }
  });
});

describe('the output folder', () => {
  it('an unwritable folder fails with IO_FAILED before any training step', async () => {
    // chmod 0o555 stops a normal user; root ignores permissions, so there the folder is a path
    // under a regular file (ENOTDIR), which nobody can create.
    let out: string;
    if (process.getuid?.() === 0) {
      await writeFile(join(dir, 'a-file'), 'not a folder');
      out = join(dir, 'a-file', 'out');
    } else {
      out = join(dir, 'read-only');
      await mkdir(out);
      await chmod(out, 0o555);
    }
    const events: ProgressEvent[] = [];
    const err = await failure(tuneTask({ task: spamTask, backbone, outDir: out, evaluateTest: false, config: small, onProgress: (e) => void events.push(e) }));
    expect(err.code).toBe('IO_FAILED');
    expect(err.message).toContain(out);
    expect(['EACCES', 'EROFS', 'ENOTDIR']).toContain(err.details.reason);
    expect(events.filter((e) => e.type === 'step')).toEqual([]);
  });

  it('keeps a checkpoint at every epoch end by default, so a rerun of the same run resumes instead of overwriting', async () => {
    const out = join(dir, 'same');
    const first = await tuneTask({ task: spamTask, backbone, outDir: out, evaluateTest: false, config: small });
    expect(JSON.parse(await readFile(join(out, 'checkpoint', 'checkpoint.json'), 'utf8')).step).toBe(first.steps);
    const adapter = await readFile(join(out, 'adapter.safetensors'));
    const again = await tuneTask({ task: spamTask, backbone, outDir: out, evaluateTest: false, config: small });
    expect(again.resumedFrom).toBe(first.steps);
    expect(again.metrics).toEqual(first.metrics);
    expect(await readFile(join(out, 'adapter.safetensors'))).toEqual(adapter);
  });

  it('refuses to overwrite a finished run of another config with RUN_EXISTS, unless overwrite: true', async () => {
    const out = join(dir, 'other');
    await tuneTask({ task: spamTask, backbone, outDir: out, evaluateTest: false, config: small });
    const manifest = await readFile(join(out, 'manifest.json'), 'utf8');
    const events: ProgressEvent[] = [];
    const err = await failure(tuneTask({ task: spamTask, backbone, outDir: out, evaluateTest: false, config: { ...small, seed: 2 }, onProgress: (e) => void events.push(e) }));
    expect(err.code).toBe('RUN_EXISTS');
    expect(err.message).toContain(out);
    expect(err.message).toContain('overwrite');
    expect(events.filter((e) => e.type === 'step')).toEqual([]);
    expect(await readFile(join(out, 'manifest.json'), 'utf8')).toBe(manifest);
    const replaced = await tuneTask({ task: spamTask, backbone, outDir: out, evaluateTest: false, config: { ...small, seed: 2 }, overwrite: true });
    expect(replaced.resumedFrom).toBe(0);
    expect(JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')).config.seed).toBe(2);
  });

  it('refuses a finished run without a checkpoint (nothing shows it is the same run), and without a checkpoint folder in use', async () => {
    const out = join(dir, 'legacy');
    await tuneTask({ task: spamTask, backbone, outDir: out, evaluateTest: false, config: small });
    await rm(join(out, 'checkpoint'), { recursive: true });
    expect((await failure(tuneTask({ task: spamTask, backbone, outDir: out, evaluateTest: false, config: small }))).code).toBe('RUN_EXISTS');
    const noCkpt = join(dir, 'no-ckpt');
    await tuneTask({ task: spamTask, backbone, outDir: noCkpt, evaluateTest: false, config: small, checkpoint: false });
    expect(existsSync(join(noCkpt, 'checkpoint'))).toBe(false);
    expect((await failure(tuneTask({ task: spamTask, backbone, outDir: noCkpt, evaluateTest: false, config: { ...small, seed: 5 }, checkpoint: false }))).code).toBe('RUN_EXISTS');
    expect((await readdir(noCkpt)).sort()).toEqual(['adapter.safetensors', 'manifest.json', 'panda_adapter.json']);
  });
});

describe('checkpoint writes that fail', () => {
  it('a manifest that cannot be written is IO_FAILED and leaves no orphan tensor file or temp file', async () => {
    const ckpt = join(dir, 'broken-ckpt');
    // checkpoint.json is a folder: the tensors file is written, the manifest's rename fails.
    await mkdir(join(ckpt, 'checkpoint.json'), { recursive: true });
    const w = tf.ones([4]);
    try {
      const meta = { fingerprint: 'f', step: 3, epoch: 1, batchInEpoch: 3, optimizerStep: 3, lossSum: 0, lossCount: 0, trainMs: 0, evalsWithoutImprovement: 0, history: [], best: null };
      const err = await failure(saveCheckpoint(ckpt, meta, { w }));
      expect(err.code).toBe('IO_FAILED');
      expect(err.message).toContain(join(ckpt, 'checkpoint.json'));
      expect(await readdir(ckpt)).toEqual(['checkpoint.json']);
    } finally {
      w.dispose();
    }
  });
});

describe('resuming a finished run', () => {
  it('a run that early stopping ended trains no further when resumed from its checkpoint', async () => {
    const ckpt = join(dir, 'early-stop-ckpt');
    const data = { train: toyReviews(24), dev: toyReviews(8, 1), labels: [...TOY_LABELS] };
    // Learning rates too small to change the dev score: patience 1 stops after the second epoch.
    const config: TuneConfigInput = { epochs: 5, batchSize: 8, promptLength: 2, lr: 1e-9, headLr: 1e-9, earlyStoppingPatience: 1, seed: 4 };
    const first = await tune({ backbone, data, config, checkpoint: { dir: ckpt } });
    expect(first.stoppedEarly).toBe(true);
    expect(first.steps).toBe(6);
    const again = await tune({ backbone, data, config, checkpoint: { dir: ckpt } });
    expect(again.resumedFrom).toBe(6);
    expect(again.steps).toBe(6);
    expect(again.stoppedEarly).toBe(true);
    expect(again.history).toEqual(first.history);
    tf.dispose([...Object.values(first.weights), ...Object.values(again.weights)]);
  });
});

describe('inputs of the wrong shape for a saved run', () => {
  it('a run trained on single texts refuses items with a second text (textB) with CONFIG_INVALID', async () => {
    const out = join(dir, 'single');
    await tuneTask({ task: spamTask, backbone, outDir: out, evaluateTest: false, config: small });
    const { model } = await loadAdaptedModel(out, backbone);
    try {
      expect(model.encode([{ id: 'a', text: 'win a prize now', label: 0 }]).ids).toHaveLength(1);
      const err = (() => {
        try {
          model.encode([{ id: 'a', text: 'win a prize now', textB: 'call me', label: 0 }]);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(isPandaError(err, 'CONFIG_INVALID')).toBe(true);
      expect((err as Error).message).toMatch(/single texts/);
    } finally {
      model.dispose();
    }
  });
});
