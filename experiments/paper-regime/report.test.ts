import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DOC_BLOCK, withTables, writeReport } from './report.js';

/**
 * The report's statistics on a hand-made target whose numbers are worked out below. Each run has
 * two epochs: the paper's protocol reads the better dev epoch (the second here), the unbiased one
 * the dev score at the best validation epoch (`dev`, the first here).
 */
const run = (id: string, kind: string, source: string | null, first: number, second: number) => ({
  id, kind, source, target: 'cb', status: 'done', dev: first, seconds: 60,
  metrics: { metric: 'accuracy', devScore: first, validationScore: 0.5 + first / 10 },
  history: [{ epoch: 1, devScore: first, validationScore: 0.5 + first / 10 }, { epoch: 2, devScore: second, validationScore: 0.5 }],
});

function fixture(): string {
  const root = mkdtempSync(join(tmpdir(), 'paper-report-'));
  mkdirSync(join(root, 'cb'));
  const cells = [
    // Prompt tuning: paper mean (0.70 + 0.66 + 0.64) / 3 = 0.6667, unbiased mean (0.60 + 0.62 + 0.58) / 3 = 0.60.
    run('prompt-tuning/cb@s1', 'prompt-tuning', null, 0.6, 0.7),
    run('prompt-tuning/cb@s2', 'prompt-tuning', null, 0.62, 0.66),
    run('prompt-tuning/cb@s3', 'prompt-tuning', null, 0.58, 0.64),
    run('pot/qqp/cb@s1', 'pot', 'qqp', 0.55, 0.72),
    run('pot/sst2/cb@s1', 'pot', 'sst2', 0.65, 0.68),
    run('panda/qqp/cb@s1', 'panda', 'qqp', 0.61, 0.75),
    run('panda/sst2/cb@s1', 'panda', 'sst2', 0.66, 0.69),
    { ...run('panda/mr/cb@s1', 'panda', 'mr', 0.5, 0.5), status: 'failed' },
  ];
  writeFileSync(join(root, 'cb', 'runs.json'), JSON.stringify({ part: 'cb', lr: 0.01, complete: false, cells }));
  writeFileSync(join(root, 'cb', 'probes.json'), JSON.stringify({ 'linear-probe/cb@s1': { dev: 0.5, validationScore: 0.55, metric: 'accuracy', seconds: 5, history: [{ epoch: 1, devScore: 0.5 }, { epoch: 2, devScore: 0.52 }] } }));
  return root;
}

describe('paper-regime report', () => {
  it('computes paired differences, negative transfer and compute from the committed tables', async () => {
    const root = fixture();
    const md = readFileSync(await writeReport({ root }), 'utf8');
    // PANDA − PoT per source at seed 1: paper (0.75 − 0.72, 0.69 − 0.68) → mean 2.00; unbiased (0.61 − 0.55, 0.66 − 0.65) → 3.50.
    expect(md).toContain('| PANDA − PoT | seed 1, every source | paper | 2 | 2.00 |');
    expect(md).toContain('| PANDA − PoT | seed 1, every source | unbiased | 2 | 3.50 |');
    // PANDA − prompt tuning pairs on the seed: paper (0.75 − 0.70, 0.69 − 0.70) → 2.00 with 1 better and 1 worse.
    expect(md).toMatch(/\| PANDA − prompt tuning \| seed 1, every source \| paper \| 2 \| 2\.00 \| \[[-\d.]+, [-\d.]+\] \| 1 \/ 1 \/ 0 \|/);
    // Negative transfer against prompt tuning's mean: PoT paper 0.72, 0.68 vs 0.6667 → 0 of 2; unbiased 0.55, 0.65 vs 0.60 → 1 of 2.
    expect(md).toContain('| pot | paper | 0/2 | 0/2 |');
    expect(md).toContain('| pot | unbiased | 1/2 | 1/2 |');
    // The per-target table: the probe first, prompt tuning as mean ± std of its seeds, a partial target marked.
    expect(md).toContain('| method | cb (partial) |');
    expect(md).toContain('| linear probe on the frozen encoder (every seed) | 52.0 |');
    expect(md).toContain('| prompt tuning (every seed) | 66.7 ± 3.1 |');
    // Compute: 8 grid runs + 1 probe, one failure named, 8 × 60 s + 5 s.
    expect(md).toContain('9 runs recorded (9 in the grids and the targets\' probes, 0 in the stronger-distillation arms, 0 sources\' probes and gate runs; 1 failed: panda/mr/cb@s1), 0.1 CPU hours');
  });

  it('keeps a target at chance in the per-target tables, marked, and out of the pooled statistics', async () => {
    const root = fixture();
    mkdirSync(join(root, 'copa'));
    // COPA's runs: PANDA far below PoT, which would move every pooled row if it counted.
    const copa = [
      { ...run('prompt-tuning/copa@s1', 'prompt-tuning', null, 0.5, 0.52), target: 'copa' },
      { ...run('pot/qqp/copa@s1', 'pot', 'qqp', 0.58, 0.6), target: 'copa' },
      { ...run('panda/qqp/copa@s1', 'panda', 'qqp', 0.4, 0.41), target: 'copa' },
    ];
    writeFileSync(join(root, 'copa', 'runs.json'), JSON.stringify({ part: 'copa', lr: 0.03, complete: true, cells: copa }));
    const md = readFileSync(await writeReport({ root }), 'utf8');
    expect(md).toContain('| method | cb (partial) | copa (at chance) |');
    expect(md).toMatch(/Left out of every pooled statistic[^\n]*\n\n- copa: every method is within/);
    // The pooled rows are cb's alone, as in the first test.
    expect(md).toContain('| PANDA − PoT | seed 1, every source | paper | 2 | 2.00 |');
    expect(md).toContain('| pot | unbiased | 1/2 | 1/2 |');
  });

  it('counts the stronger-distillation arm\'s runs and their time in the compute line', async () => {
    const root = fixture();
    mkdirSync(join(root, 'cb', 'kd-strong'));
    // Two arm runs of an hour each: 9 grid runs (8 × 60 s + 5 s) + 2 × 3600 s = 7685 s → 2.1 CPU hours.
    const arm = [{ ...run('prompt-tuning/cb@s1', 'prompt-tuning', null, 0.6, 0.7), seconds: 3600 }, { ...run('panda/qqp/cb@s1', 'panda', 'qqp', 0.62, 0.7), seconds: 3600 }];
    writeFileSync(join(root, 'cb', 'kd-strong', 'runs.json'), JSON.stringify({ part: 'cb', lr: 0.01, complete: true, cells: arm }));
    const md = readFileSync(await writeReport({ root }), 'utf8');
    expect(md).toContain('11 runs recorded (9 in the grids and the targets\' probes, 2 in the stronger-distillation arms, 0 sources\' probes and gate runs; 1 failed: panda/mr/cb@s1), 2.1 CPU hours');
  });

  it('rewrites only the marked block of the results page, one heading level deeper', async () => {
    const root = fixture();
    const doc = join(root, 'panda.md');
    writeFileSync(doc, `# Page\n\nhand-written\n\n${DOC_BLOCK.begin}\nstale\n${DOC_BLOCK.end}\n\n## After\n`);
    await writeReport({ root, doc });
    const text = readFileSync(doc, 'utf8');
    expect(text.startsWith('# Page\n\nhand-written\n\n')).toBe(true);
    expect(text).not.toContain('stale');
    expect(text).toContain('### Compute');
    expect(text).toContain('### Paired differences');
    expect(text.endsWith(`${DOC_BLOCK.end}\n\n## After\n`)).toBe(true);
    expect(withTables('no markers here', ['## x'])).toBeUndefined();
  });
});
