import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/panda.js', import.meta.url));
const env = { ...process.env, PANDA_BACKEND: 'wasm' };

const GOOD = ['a wonderful film', 'great acting and a moving story', 'i loved every minute', 'superb and funny'];
const BAD = ['a dull mess', 'boring and far too long', 'i hated it', 'awful script'];
const rows = (n: number, off: number) => Array.from({ length: n }, (_, i) => ((i + off) % 2 ? `${BAD[(i + off) % 4]}\tneg` : `${GOOD[(i + off) % 4]}\tpos`)).join('\n');

describe('panda tune --checkpoint-every', () => {
  it('a run killed mid-epoch (SIGKILL) and rerun resumes and ends exactly like the uninterrupted run', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'panda-kill-'));
    await writeFile(join(dir, 'train.tsv'), `text\tlabel\n${rows(64, 0)}\n`);
    await writeFile(join(dir, 'dev.tsv'), `text\tlabel\n${rows(8, 1)}\n`);
    const args = (out: string) => ['tune', '--train', join(dir, 'train.tsv'), '--dev', join(dir, 'dev.tsv'), '--labels', 'neg,pos', '--epochs', '2', '--batch-size', '4', '--prompt-length', '4', '--seed', '9', '--checkpoint-every', '5', '--json', '-o', out];

    const whole = spawnSync(process.execPath, [BIN, ...args(join(dir, 'whole'))], { encoding: 'utf8', env });
    expect(whole.status, whole.stderr).toBe(0);

    // Kill the second run with SIGKILL as soon as it has written the checkpoint at step 20 (of 32).
    const out = join(dir, 'killed');
    const child = spawn(process.execPath, [BIN, ...args(out)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve) => {
      let buf = '';
      child.stderr.on('data', (chunk: Buffer) => {
        buf += chunk.toString();
        if (buf.includes('"message":"checkpoint at step 20"')) {
          // The CLI spawns the real process; kill the whole tree.
          spawnSync('pkill', ['-KILL', '-P', String(child.pid)]);
          child.kill('SIGKILL');
        }
      });
      child.on('exit', () => resolve());
    });
    const ckpt = JSON.parse(await readFile(join(out, 'checkpoint', 'checkpoint.json'), 'utf8'));
    expect(ckpt.step).toBeGreaterThanOrEqual(20);
    expect(ckpt.step).toBeLessThan(32);

    const resumed = spawnSync(process.execPath, [BIN, ...args(out)], { encoding: 'utf8', env });
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`resuming from step ${ckpt.step}`);
    const a = JSON.parse(await readFile(join(dir, 'whole', 'manifest.json'), 'utf8'));
    const b = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
    expect(b.resumedFrom).toBe(ckpt.step);
    expect(b.history).toEqual(a.history);
    expect(b.metrics).toEqual(a.metrics);
    expect(await readFile(join(out, 'adapter.safetensors'))).toEqual(await readFile(join(dir, 'whole', 'adapter.safetensors')));
  });
});
