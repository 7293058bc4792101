import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/panda.js', import.meta.url));

function panda(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, PANDA_BACKEND: 'wasm' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function files(rows: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'panda-cli-'));
  for (const [name, content] of Object.entries(rows)) await writeFile(join(dir, name), content);
  return dir;
}

describe('panda CLI', () => {
  it('prints help generated from the option descriptions', () => {
    const r = panda('tune', '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('number of soft prompt rows m (prompt-tuning)');
    expect(r.stdout).toContain('--labels <list>');
    // Fields only the schema knows (no hand-written flag) show up with their description and default.
    expect(r.stdout).toMatch(/--weight-decay <n>\s+decoupled weight decay of the head kernel/);
    expect(r.stdout).toMatch(/--eval-batch-size <n>\s+examples per evaluation forward pass \(default: 64\)/);
    expect(r.stdout).toContain('-c, --config <file>');
  });

  it('names an unknown task and exits 2', () => {
    const r = panda('tune', '--task', 'sst-9');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("error TASK_UNKNOWN: unknown task 'sst-9'; known tasks: spam, sst2");
  });

  it('names a missing data file and exits 3', () => {
    const r = panda('tune', '--task', 'sst2', '--data-dir', '/nonexistent-panda-data');
    expect(r.status).toBe(3);
    expect(r.stderr).toContain("error DATA_FILE_MISSING: data file not found: /nonexistent-panda-data/glue/SST-2/train.tsv; the data directory is /nonexistent-panda-data; set it with the dataDir option (the CLI's --data-dir) or $PANDA_DATA_DIR");
  });

  it('names the file and line of a malformed row and exits 3', async () => {
    const dir = await files({ 'train.tsv': 'text\tlabel\ngood film\tpos\nbad film\n', 'dev.tsv': 'text\tlabel\nok\tpos\n' });
    const r = panda('tune', '--train', join(dir, 'train.tsv'), '--dev', join(dir, 'dev.tsv'), '--labels', 'neg,pos');
    expect(r.status).toBe(3);
    expect(r.stderr).toContain(`error DATA_ROW_INVALID: ${join(dir, 'train.tsv')}:3: expected at least 2 columns, found 1`);
  });

  it('rejects a prompt too long for the model and exits 2', () => {
    const r = panda('tune', '--prompt-length', '128', '--max-train', '8', '--max-dev', '8');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("error PROMPT_TOO_LONG: a prompt of 128 rows leaves no room for text in the model's 128 positions");
  });

  it('rejects invalid option values with CONFIG_INVALID', () => {
    const r = panda('tune', '--epochs', '0');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('error CONFIG_INVALID: invalid options: epochs');
  });

  it('tunes on your own CSV with --skip-bad-rows, saves the run and prints JSON', async () => {
    const good = ['a wonderful film', 'great acting', 'i loved it', 'superb'];
    const bad = ['a dull mess', 'boring', 'i hated it', 'awful'];
    const rows = (n: number) => Array.from({ length: n }, (_, i) => (i % 2 ? `"${bad[i % 4]}",neg` : `"${good[i % 4]}",pos`)).join('\n');
    const dir = await files({ 'train.csv': `review,stars\n${rows(16)}\n"broken row"\n`, 'dev.csv': `review,stars\n${rows(4)}\n` });
    const out = join(dir, 'run');
    const r = panda('tune', '--train', join(dir, 'train.csv'), '--dev', join(dir, 'dev.csv'), '--text-column', 'review', '--label-column', 'stars', '--labels', 'neg,pos', '--epochs', '1', '--batch-size', '4', '--prompt-length', '2', '--skip-bad-rows', '--json', '-o', out);
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(result.skippedRows.train).toBe(1);
    expect(result.steps).toBe(4);
    expect(result.metrics.devAccuracy).toBeGreaterThanOrEqual(0);
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.config.promptLength).toBe(2);
    expect(manifest.trainIds).toHaveLength(16);
    expect(manifest.backboneHash).toMatch(/^[0-9a-f]{64}$/);
    expect(manifest.seed ?? manifest.config.seed).toBe(42);
    const config = JSON.parse(await readFile(join(out, 'panda_adapter.json'), 'utf8'));
    expect(config.tensors).toEqual({ 'head/bias': [2], 'head/kernel': [512, 2], prompt: [2, 256] });
    expect(r.stderr.split('\n').filter(Boolean).every((l) => JSON.parse(l).type)).toBe(true);
  });
});
