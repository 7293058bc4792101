import { describe, expect, it, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveCommand } from './commands/serve.js';
import { gridCommand } from './commands/grid.js';
import { transferCommand } from './commands/transfer.js';

const BIN = fileURLToPath(new URL('../bin/panda.js', import.meta.url));

function panda(args: string[], options: { input?: string; cwd?: string } = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, PANDA_BACKEND: 'wasm' }, ...options });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const GOOD = ['a wonderful film', 'great acting and a moving story', 'i loved every minute', 'superb and funny'];
const BAD = ['a dull mess', 'boring and far too long', 'i hated it', 'awful script'];
const rows = (n: number, off = 0) => Array.from({ length: n }, (_, i) => ((i + off) % 2 ? `"${BAD[(i + off) % 4]}",neg` : `"${GOOD[(i + off) % 4]}",pos`)).join('\n');

describe('help generated from the schemas', () => {
  it('lists every serve and grid option with its description and default', () => {
    // In process: the same Command objects the CLI registers.
    const serve = serveCommand().helpInformation();
    expect(serve).toMatch(/--max-jobs <n>\s+training jobs that run at the same time/);
    expect(serve).toMatch(/--token <value>\s+access token/);
    expect(serve).toContain('(default: 1048576)');
    const grid = gridCommand().helpInformation();
    expect(grid).toMatch(/--sources <list>\s+source tasks/);
    expect(grid).toMatch(/--methods <list>\s+methods to run/);
    const transfer = transferCommand().helpInformation();
    expect(transfer).toMatch(/-k, --k <n>\s+source prompts to use from the bank/);
    expect(transfer).toMatch(/prompt-tuning \(default, as in panda\s+tune\)/);
  });
});

describe('panda with a config file, eval, predict and the bank', () => {
  let dir: string;
  let run: string;
  let result: any;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'panda-cmds-'));
    await writeFile(join(dir, 'train.csv'), `review,stars\n${rows(16)}\n`);
    await writeFile(join(dir, 'dev.csv'), `review,stars\n${rows(8, 1)}\n`);
    await writeFile(
      join(dir, 'run.yaml'),
      ['# paths are relative to this file', 'train: train.csv', 'dev: dev.csv', 'textColumn: review', 'labelColumn: stars', 'labels: [neg, pos]', 'out: run', 'epochs: 1', 'batchSize: 4', 'promptLength: 2', 'seed: 3'].join('\n') + '\n',
    );
    // The flag wins over the file's promptLength; run from another folder to check relative paths.
    const r = panda(['tune', '--config', join(dir, 'run.yaml'), '--prompt-length', '3', '--json'], { cwd: tmpdir() });
    expect(r.status, r.stderr).toBe(0);
    result = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    run = join(dir, 'run');
  });

  it('merges the config file with flags (flags win) and validates both with the schema', async () => {
    expect(result.config).toMatchObject({ promptLength: 3, epochs: 1, batchSize: 4, seed: 3 });
    const manifest = JSON.parse(await readFile(join(run, 'manifest.json'), 'utf8'));
    expect(manifest.config.promptLength).toBe(3);
    await writeFile(join(dir, 'bad.json'), JSON.stringify({ epochs: 0, train: 'train.csv' }));
    const bad = panda(['tune', '-c', join(dir, 'bad.json')]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('error CONFIG_INVALID: invalid options: epochs: Too small');
    await writeFile(join(dir, 'typo.yaml'), 'epochs: 1\npromtLength: 4\n');
    const typo = panda(['tune', '-c', join(dir, 'typo.yaml')]);
    expect(typo.status).toBe(2);
    expect(typo.stderr).toContain("unknown option 'promtLength'");
  });

  it('scores the run on a labelled file exactly as training measured it', () => {
    const r = panda(['eval', run, '--file', join(dir, 'dev.csv'), '--text-column', 'review', '--label-column', 'stars', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ split: 'test', examples: 8 });
    expect(out.metrics.accuracy).toBe(result.metrics.devAccuracy);
  });

  it('predicts texts from arguments, a file and stdin', async () => {
    const args = panda(['predict', run, 'i loved it', 'awful and boring', '--json']);
    expect(args.status, args.stderr).toBe(0);
    const lines = args.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.text)).toEqual(['i loved it', 'awful and boring']);
    for (const l of lines) expect(['neg', 'pos']).toContain(l.label);
    const file = panda(['predict', run, '--input', join(dir, 'dev.csv'), '--text-column', 'review']);
    expect(file.status, file.stderr).toBe(0);
    expect(file.stdout.trim().split('\n')).toHaveLength(8);
    expect(file.stdout.split('\n')[0]).toMatch(/^(neg|pos)\t0\.\d{4}\t/);
  });

  it('adds the run to a bank, lists, searches and removes it', async () => {
    const bank = join(dir, 'bank');
    await writeFile(join(dir, 'e1.json'), JSON.stringify(Array.from({ length: 8 }, (_, i) => Math.sin(i + 1))));
    await writeFile(join(dir, 'e2.json'), JSON.stringify({ embedding: Array.from({ length: 8 }, (_, i) => Math.cos(i)) }));
    const a = panda(['bank', 'add', run, '-e', join(dir, 'e1.json'), '--bank', bank, '--json']);
    expect(a.status, a.stderr).toBe(0);
    expect(JSON.parse(a.stdout)).toMatchObject({ id: 'custom/prompt-tuning/run', task: 'custom', method: 'prompt-tuning', dim: 8 });
    expect(panda(['bank', 'add', run, '-e', join(dir, 'e2.json'), '--bank', bank, '--id', 'other/run']).status).toBe(0);
    const list = panda(['bank', 'list', '--bank', bank]);
    expect(list.stdout).toMatch(/^id\s+task\s+method\s+dim\s+metrics\s+created/);
    expect(list.stdout).toContain('custom/prompt-tuning/run');
    const hits = JSON.parse(panda(['bank', 'search', '-e', join(dir, 'e1.json'), '--bank', bank, '-k', '2', '--json']).stdout).hits;
    expect(hits.map((h: any) => h.entry.id)).toEqual(['custom/prompt-tuning/run', 'other/run']);
    expect(hits[0].score).toBeCloseTo(1, 5);
    expect(panda(['bank', 'remove', 'other/run', '--bank', bank]).stdout).toBe('removed other/run\n');
    await writeFile(join(dir, 'e3.json'), '[1, 2, 3]');
    const dim = panda(['bank', 'search', '-e', join(dir, 'e3.json'), '--bank', bank]);
    expect(dim.status).toBe(3);
    expect(dim.stderr).toContain('error DIMENSION_MISMATCH');
  });

  it('runs transfer up to the bank (an empty bank is BANK_EMPTY, exit 3) and a template search', async () => {
    const common = ['--train', join(dir, 'train.csv'), '--dev', join(dir, 'dev.csv'), '--text-column', 'review', '--label-column', 'stars', '--labels', 'neg,pos'];
    const t = panda(['transfer', ...common, '--bank', join(dir, 'empty-bank'), '-o', join(dir, 'transfer'), '--method', 'prompt-tuning', '--prompt-length', '2', '--epochs', '1', '--batch-size', '8']);
    expect(t.status, t.stderr).toBe(3);
    expect(t.stderr).toMatch(/error (BANK_EMPTY|MODEL_MISMATCH)/);
    expect(t.stderr).toContain('a 1-epoch prompt run for the target');
    const search = panda(['templates', 'search', ...common, '--templates', '1', '--search-examples', '6', '--rank-examples', '4', '--json']);
    expect(search.status, search.stderr).toBe(0);
    const out = JSON.parse(search.stdout);
    expect(out.best.template).toContain('{mask}');
    expect(out.devAccuracy).toBeGreaterThanOrEqual(0);
  });

  it('bank search --train: which bank prompts suit a data set (a probe run gives its task embedding)', async () => {
    const bank = join(dir, 'search-bank');
    const small = ['--prompt-length', '2', '--epochs', '1', '--batch-size', '8', '--max-train', '16', '--max-dev', '16', '--max-seq-length', '32'];
    const t = panda(['tune', '-t', 'afinn', ...small, '-o', join(dir, 'afinn-src'), '--no-baseline', '--json']);
    expect(t.status, t.stderr).toBe(0);
    expect(panda(['bank', 'add', join(dir, 'afinn-src'), '--bank', bank, '--samples', '8']).status).toBe(0);
    const common = ['--train', join(dir, 'train.csv'), '--dev', join(dir, 'dev.csv'), '--text-column', 'review', '--label-column', 'stars', '--labels', 'neg,pos'];
    const r = panda(['bank', 'search', ...common, ...small.filter((_, i) => i < 2 || i > 3), '--probe-epochs', '1', '--bank', bank, '-k', '3', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { task: string; probe: { epochs: number }; hits: Array<{ id: string; task: string; similarity: number; beta: number; method: string }> };
    expect(out.task).toBe('custom');
    expect(out.probe.epochs).toBe(1);
    expect(out.hits.map((h) => h.id)).toEqual(['afinn/prompt-tuning/afinn-src']);
    expect(Math.abs(out.hits[0]!.similarity)).toBeLessThanOrEqual(1);
    expect(out.hits[0]!.method).toBe('prompt-tuning');
    // One query only: a data set and --like together are refused.
    const both = panda(['bank', 'search', ...common, '--like', 'afinn/prompt-tuning/afinn-src', '--bank', bank]);
    expect(both.status).toBe(2);
    expect(both.stderr).toContain('give exactly one query');
  });
});
