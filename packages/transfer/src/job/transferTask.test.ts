import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@panda/runtime';
import { isPandaError } from '@panda/core';
import { loadUseLite, type Backbone } from '@panda/backbones';
import { PromptBank } from '@panda/bank';
import { afinnTask, spamTask } from '@panda/datasets';
import { tuneTask } from '@panda/tuner';
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
    expect(early.teachers[0]!.sources).toEqual(['afinn', 'afinn']);
    const late = await transferTask({ target: spamTask, bankDir, outDir: join(dir, 'late'), config, backbone, transfer: { k: 2, fusion: 'late', store: false, embedding: { samples: 8 } } });
    expect(late.teachers).toHaveLength(2);
    const manifest = JSON.parse(await readFile(join(late.student.dir, 'manifest.json'), 'utf8')) as { distill: { teachers: Array<{ beta: number }> } };
    expect(manifest.distill.teachers).toHaveLength(2);
    expect(manifest.distill.teachers.map((t) => t.beta).sort()).toEqual(late.sources.map((s) => s.beta).sort());
  });
});

