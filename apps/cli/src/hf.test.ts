/**
 * The full PANDA job from the CLI on Hugging Face backbones (the tiny BERT and RoBERTa checkpoints
 * in packages/hf/fixtures): `--model <folder>` tunes two source prompts, `bank add` embeds them
 * (reading the backbone from the runs), `panda transfer` retrieves both, builds one teacher per
 * bank entry and distils a student, and a 2 × 2 `panda grid` runs every method in worker processes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/panda.js', import.meta.url));
const fixture = (arch: string) => fileURLToPath(new URL(`../../../packages/hf/fixtures/tiny-${arch}`, import.meta.url));

function panda(args: string[], cwd?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, PANDA_BACKEND: 'wasm' }, ...(cwd ? { cwd } : {}) });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const SMALL = ['--method', 'deep-prompt-tuning', '--prompt-length', '4', '--epochs', '1', '--batch-size', '8', '--max-train', '16', '--max-dev', '16', '--max-seq-length', '32'];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'panda-hf-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.each(['bert', 'roberta'])('the PANDA job on tiny %s from the CLI', (arch) => {
  const id = `hf:${arch}:tiny-${arch}`;

  it('panda transfer with a bank of two sources: one teacher per entry, a student stored in the bank', async () => {
    const work = join(dir, arch);
    const bank = join(work, 'bank');
    for (const seed of ['1', '2']) {
      const t = panda(['tune', '-t', 'afinn', '--model', fixture(arch), ...SMALL, '--seed', seed, '-o', join(work, `afinn-${seed}`), '--json']);
      expect(t.status, t.stderr).toBe(0);
      expect((JSON.parse(t.stdout) as { backboneId: string }).backboneId).toBe(id);
      // No --model: bank add reads the backbone the run recorded.
      const a = panda(['bank', 'add', join(work, `afinn-${seed}`), '-b', bank, '--samples', '8', '--json']);
      expect(a.status, a.stderr).toBe(0);
    }
    const r = panda(['transfer', '-t', 'spam', '--model', fixture(arch), ...SMALL, '-k', '2', '--fusion', 'late', '-b', bank, '-o', join(work, 'transfer'), '--max-test', '6', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      sources: Array<{ id: string; task: string }>;
      ranking: Array<{ id: string; similarity: number; chosen: boolean }>;
      teachers: Array<{ sourceIds: string[]; dir: string }>;
      student: { dir: string; bankId?: string; testAccuracy?: number };
      baseline?: { method: string; devScore: number; testScore?: number };
    };
    // The ranking the sources came from (both entries, both used), and the linear-probe baseline beside the student.
    expect(report.ranking.map((x) => x.id).sort()).toEqual(report.sources.map((s) => s.id).sort());
    expect(report.ranking.every((x) => x.chosen)).toBe(true);
    expect(report.baseline?.method).toBe('linear-probe');
    // --max-test caps the test scoring at 6 rows: every score is a multiple of 1/6.
    for (const score of [report.student.testAccuracy, report.baseline?.testScore]) expect(Math.abs(score! * 6 - Math.round(score! * 6))).toBeLessThan(1e-9);
    expect(report.sources.map((s) => s.id).sort()).toEqual(['afinn/deep-prompt-tuning/afinn-1', 'afinn/deep-prompt-tuning/afinn-2']);
    expect(report.teachers).toHaveLength(2);
    expect(new Set(report.teachers.map((t) => t.dir)).size).toBe(2);
    expect(report.teachers.map((t) => t.sourceIds[0]).sort()).toEqual(report.sources.map((s) => s.id).sort());
    // The two teachers are different prompts (one per bank entry), not one teacher twice.
    const [t0, t1] = await Promise.all(report.teachers.map((t) => readFile(join(t.dir, 'adapter.safetensors'))));
    expect(t0!.equals(t1!)).toBe(false);
    expect(report.student.bankId).toBeDefined();

    const list = panda(['bank', 'list', '-b', bank, '--json']);
    const entries = (JSON.parse(list.stdout) as { entries: Array<{ id: string; model: string }> }).entries;
    expect(entries).toHaveLength(3);
    expect(entries.every((e) => e.model === id)).toBe(true);
    // The student reloads on its recorded backbone, without --model.
    const e = panda(['eval', report.student.dir, '--max', '16', '--json']);
    expect(e.status, e.stderr).toBe(0);
    expect((JSON.parse(e.stdout) as { examples: number }).examples).toBe(16);
  });

  it('a 2 × 2 panda grid of every method runs in worker processes, from a folder outside the repository', async () => {
    const work = join(dir, `${arch}-grid`);
    const spec = join(dir, `${arch}-grid.json`);
    await writeFile(
      spec,
      JSON.stringify({
        sources: ['spam', 'afinn'],
        targets: ['spam', 'afinn'],
        tuning: { method: 'deep-prompt-tuning', promptLength: 4, epochs: 1, batchSize: 8, maxTrainExamples: 16, maxEvalExamples: 16, maxSeqLength: 32 },
        modelTuning: { modelLr: 1e-3 },
        embedding: { samples: 8, maxSeqLength: 32 },
        workers: 1,
        model: fixture(arch),
      }),
    );
    const g = panda(['grid', '-c', spec, '-o', work, '--json'], dir);
    expect(g.status, g.stderr).toBe(0);
    const summary = JSON.parse(g.stdout) as { cells: number; failed: number };
    // 2 prompt tunings, 2 model tunings, and PoT, PANDA and constant-β PANDA for the 2 ordered pairs.
    expect(summary).toMatchObject({ cells: 10, failed: 0 });
    const report = await readFile(join(work, 'report.md'), 'utf8');
    expect(report).toContain(`Backbone: ${id}`);
    const csv = await readFile(join(work, 'cells.csv'), 'utf8');
    expect(csv.split('\n').filter((l) => l.includes(',done,'))).toHaveLength(10);
  });
});
