import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@panda/runtime';
import { isPandaError } from '@panda/core';
import { loadUseLite, type Backbone } from '@panda/backbones';
import { PromptBank } from '@panda/bank';
import { afinnTask, spamTask } from '@panda/datasets';
import * as tf from '@tensorflow/tfjs-core';
import { loadRun, tensorDigest, tuneTask } from '@panda/tuner';
import type { Example, TaskDefinition } from '@panda/datasets';
import { transferTask } from './transferTask.js';
import { addRunToBank } from './bankRun.js';

let backbone: Backbone;
let dir: string;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  backbone = await loadUseLite();
  dir = await mkdtemp(join(tmpdir(), 'panda-transfer-job-'));
});
afterAll(async () => {
  backbone.dispose();
  await rm(dir, { recursive: true, force: true });
});

/** A small STS-B-like regression task (pairs scored 0–5), in memory. */
const STS: Array<[string, string, number]> = [
  ['a man is playing a guitar', 'a man plays the guitar', 5],
  ['a woman is slicing an onion', 'a woman cuts an onion', 4.6],
  ['the cat sleeps on the sofa', 'a cat is sleeping on a couch', 4.2],
  ['a man is playing a guitar', 'the stock market fell sharply today', 0.2],
  ['a woman is slicing an onion', 'the train leaves at noon', 0],
  ['the cat sleeps on the sofa', 'parliament passed the budget', 0.4],
];
const stsRows = (n: number, offset: number): Example[] =>
  Array.from({ length: n }, (_, i) => {
    const [text, textB, label] = STS[(i + offset) % STS.length]!;
    return { id: `sts:${i + offset}`, text, textB, label };
  });
const stsToy: TaskDefinition = {
  name: 'sts-toy',
  description: 'toy sentence similarity (regression)',
  type: 'regression',
  labels: [],
  metric: 'pearson_and_spearman',
  builtin: false,
  splits: ['train', 'dev'],
  load: async (split) => ({ examples: split === 'train' ? stsRows(24, 0) : stsRows(12, 1), skipped: 0, source: 'memory' }),
};

const config = { method: 'prompt-tuning' as const, promptLength: 4, epochs: 1, batchSize: 8, maxTrainExamples: 16, maxEvalExamples: 16, maxSeqLength: 32, seed: 1 };

describe('transferTask (the main job)', () => {
  it('refuses an empty bank with BANK_EMPTY', async () => {
    await expect(transferTask({ target: spamTask, bankDir: join(dir, 'empty-bank'), outDir: join(dir, 'out0'), config, backbone, transfer: { embedding: { samples: 8 } } })).rejects.toSatisfy(
      (e) => isPandaError(e, 'BANK_EMPTY') || isPandaError(e, 'MODEL_MISMATCH'),
    );
  });

  it('picks the source from the bank, trains teacher and student, stores the student', { timeout: 600_000 }, async () => {
    const bankDir = join(dir, 'bank');
    const sourceDir = join(dir, 'afinn-run');
    await tuneTask({ task: afinnTask, backbone, outDir: sourceDir, evaluateTest: false, config });
    const bank = PromptBank.open(bankDir);
    try {
      const entry = await addRunToBank({ bank, backbone, runDir: sourceDir, embedding: { samples: 8 } });
      expect(entry.task).toBe('afinn');
      expect(entry.embedding).toHaveLength(512);
    } finally {
      bank.close();
    }
    const report = await transferTask({ target: spamTask, bankDir, outDir: join(dir, 'out'), config, backbone, transfer: { embedding: { samples: 8 } } });
    expect(report.sources).toHaveLength(1);
    expect(report.sources[0]!.task).toBe('afinn');
    expect(report.sources[0]!.beta).toBeCloseTo(Math.max(0, report.sources[0]!.similarity), 12);
    expect(report.teachers).toHaveLength(1);
    expect(report.student.devAccuracy).toBeGreaterThanOrEqual(0);
    const reopened = PromptBank.open(bankDir);
    try {
      const stored = reopened.list({ task: 'spam' });
      expect(stored.map((e) => e.id)).toEqual([report.student.bankId]);
      expect((stored[0]!.manifest as { distill?: { teachers: unknown[] } }).distill?.teachers).toHaveLength(1);
    } finally {
      reopened.close();
    }
  });

  it('early fusion: one teacher from the β-weighted mean of two sources; late fusion: one student, two teachers', { timeout: 600_000 }, async () => {
    const bankDir = join(dir, 'bank2');
    const bank = PromptBank.open(bankDir);
    try {
      for (const seed of [2, 3]) {
        const runDir = join(dir, `afinn-${seed}`);
        await tuneTask({ task: afinnTask, backbone, outDir: runDir, evaluateTest: false, config: { ...config, seed } });
        await addRunToBank({ bank, backbone, runDir, id: `afinn/s${seed}`, embedding: { samples: 8 } });
      }
    } finally {
      bank.close();
    }
    const early = await transferTask({ target: spamTask, bankDir, outDir: join(dir, 'early'), config, backbone, transfer: { k: 2, fusion: 'early', store: false, embedding: { samples: 8 } } });
    expect(early.sources.map((s) => s.id).sort()).toEqual(['afinn/s2', 'afinn/s3']);
    expect(early.teachers).toHaveLength(1);
    // The report lists the ranking the sources came from: best first, the top k marked as used.
    expect(early.ranking.length).toBeGreaterThanOrEqual(2);
    expect(early.ranking.map((r) => r.similarity)).toEqual([...early.ranking.map((r) => r.similarity)].sort((a, b) => b - a));
    expect(early.ranking.map((r) => r.chosen)).toEqual(early.ranking.map((_, i) => i < 2));
    expect(early.ranking.filter((r) => r.chosen).map(({ chosen: _c, ...r }) => r)).toEqual(early.sources);
    expect(early.teachers[0]!.sources).toEqual(['afinn', 'afinn']);
    // Early fusion starts its teacher from the β-weighted mean of the two source prompts, value for value.
    const srcs = await Promise.all(early.sources.map(async (s) => ({ s, run: await loadRun(join(dir, `afinn-${s.id.slice(-1)}`)) })));
    const w = srcs.map(({ s }) => Math.max(s.beta, 1e-6));
    const mean = tf.tidy(() => tf.addN(srcs.map(({ run }, i) => tf.mul(run.weights.prompt!, w[i]! / (w[0]! + w[1]!)))));
    const earlyManifest = JSON.parse(await readFile(join(early.teachers[0]!.dir, 'manifest.json'), 'utf8')) as { init: { keys: string[]; digest: string } };
    expect(earlyManifest.init).toEqual({ keys: ['prompt'], digest: tensorDigest({ prompt: mean }) });
    tf.dispose([mean, ...srcs.flatMap(({ run }) => Object.values(run.weights))]);

    const late = await transferTask({ target: spamTask, bankDir, outDir: join(dir, 'late'), config, backbone, transfer: { k: 2, fusion: 'late', store: false, embedding: { samples: 8 } } });
    expect(late.teachers).toHaveLength(2);
    const manifest = JSON.parse(await readFile(join(late.student.dir, 'manifest.json'), 'utf8')) as { distill: { teachers: Array<{ name: string; beta: number; digest: string }> } };
    expect(manifest.distill.teachers).toHaveLength(2);
    expect(manifest.distill.teachers.map((t) => t.beta).sort()).toEqual(late.sources.map((s) => s.beta).sort());
    // Two bank entries of one task are two teachers: their own folders, names and weights (each
    // teacher's digest is that of its own saved run).
    expect(new Set(late.teachers.map((t) => t.dir)).size).toBe(2);
    expect(manifest.distill.teachers.map((t) => t.name).sort()).toEqual(['afinn/s2', 'afinn/s3']);
    const digests = await Promise.all(late.teachers.map(async (t) => {
      const run = await loadRun(t.dir);
      try {
        return tensorDigest(run.weights);
      } finally {
        tf.dispose(Object.values(run.weights));
      }
    }));
    expect(new Set(digests).size).toBe(2);
    expect(manifest.distill.teachers.map((t) => t.digest).sort()).toEqual([...digests].sort());
  });

  it('a regression target (STS-B style) goes through retrieval, transfer, distillation and the bank', { timeout: 600_000 }, async () => {
    const bankDir = join(dir, 'bank-reg');
    const sourceDir = join(dir, 'afinn-reg-source');
    await tuneTask({ task: afinnTask, backbone, outDir: sourceDir, evaluateTest: false, config });
    const bank = PromptBank.open(bankDir);
    try {
      await addRunToBank({ bank, backbone, runDir: sourceDir, embedding: { samples: 8 } });
    } finally {
      bank.close();
    }
    const report = await transferTask({ target: stsToy, bankDir, outDir: join(dir, 'reg'), config, backbone, transfer: { embedding: { samples: 8 } } });
    expect(report.metric).toBe('pearson_and_spearman');
    expect(report.sources[0]!.task).toBe('afinn');
    expect(Number.isFinite(report.student.devAccuracy)).toBe(true);
    const reopened = PromptBank.open(bankDir);
    try {
      expect(reopened.list({ task: 'sts-toy' }).map((e) => e.id)).toEqual([report.student.bankId]);
    } finally {
      reopened.close();
    }
  });

  it('refuses early fusion of reparameterised prefixes (averaging MLP weights is not averaging prefixes)', { timeout: 600_000 }, async () => {
    const deep = { ...config, method: 'deep-prompt-tuning' as const, promptLength: 2, prefixProjection: true, prefixHidden: 8 };
    const bankDir = join(dir, 'bank-proj');
    const bank = PromptBank.open(bankDir);
    try {
      for (const seed of [4, 5]) {
        const runDir = join(dir, `afinn-proj-${seed}`);
        await tuneTask({ task: afinnTask, backbone, outDir: runDir, evaluateTest: false, config: { ...deep, seed } });
        await addRunToBank({ bank, backbone, runDir, id: `afinn/p${seed}`, embedding: { samples: 8 } });
      }
    } finally {
      bank.close();
    }
    await expect(transferTask({ target: spamTask, bankDir, outDir: join(dir, 'proj'), config: deep, backbone, transfer: { k: 2, fusion: 'early', store: false, embedding: { samples: 8 } } })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('early fusion of reparameterised prefixes'),
    });
  });
});

