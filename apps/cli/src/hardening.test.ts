import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transferCommand } from './commands/transfer.js';

const BIN = fileURLToPath(new URL('../bin/panda.js', import.meta.url));
const env = { ...process.env, PANDA_BACKEND: 'wasm' };

function panda(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const GOOD = ['a wonderful film', 'great acting and a moving story', 'i loved every minute', 'superb and funny'];
const BAD = ['a dull mess', 'boring and far too long', 'i hated it', 'awful script'];
const rows = (n: number, off = 0) => Array.from({ length: n }, (_, i) => ((i + off) % 2 ? `"${BAD[(i + off) % 4]}",neg` : `"${GOOD[(i + off) % 4]}",pos`)).join('\n');

let dir: string;
/** A finished single-text run (spam, 1 epoch), shared by the tests that need one. */
let run: string;
const quick = ['--task', 'spam', '--max-train', '8', '--max-dev', '8', '--max-test', '8', '--epochs', '1', '--batch-size', '8', '--prompt-length', '2'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'panda-cli-hardening-'));
  run = join(dir, 'run');
  const r = panda('tune', ...quick, '--seed', '1', '-o', run);
  expect(r.status, r.stderr).toBe(0);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('panda tune: bad learning rates and diverging runs', () => {
  it('refuses --lr 1e308 (and --head-lr, --model-lr) with CONFIG_INVALID, exit 2', () => {
    const r = panda('tune', '--lr', '1e308');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('error CONFIG_INVALID: invalid options: lr: the learning rate (lr) must be at most 10');
    expect(panda('tune', '--head-lr', '1e308').stderr).toContain('headLr: the head learning rate (headLr) must be at most 10');
  });

  it('a run whose loss turns NaN stops with NON_FINITE_LOSS (exit 2), naming the step, and saves no adapter', () => {
    const out = join(dir, 'nan');
    const r = panda('tune', '--task', 'spam', '--method', 'linear-probe', '--head-lr', '10', '--weight-decay', '1', '--schedule', 'constant', '--batch-size', '2', '--epochs', '4', '--max-train', '24', '--max-dev', '8', '--seed', '3', '-o', out);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/error NON_FINITE_LOSS: training stopped at step \d+ of 48: the loss is NaN/);
    expect(existsSync(join(out, 'adapter.safetensors'))).toBe(false);
    expect(existsSync(join(out, 'checkpoint', 'checkpoint.json'))).toBe(true);
  });
});

describe('panda tune: the output folder', () => {
  it('an unwritable -o fails fast with IO_FAILED (exit 5), no stack trace, before training', async () => {
    // A path under a regular file: unwritable for root too (chmod does not stop root).
    await writeFile(join(dir, 'a-file'), 'x');
    const r = panda('tune', ...quick, '-o', join(dir, 'a-file', 'out'));
    expect(r.status).toBe(5);
    expect(r.stderr).toContain(`error IO_FAILED: cannot write into the output folder ${join(dir, 'a-file', 'out')}: ENOTDIR`);
    expect(r.stderr).toContain('ENOTDIR');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr).not.toContain('train: step');
  });

  it('rerunning the same command resumes; another run into the folder is RUN_EXISTS (exit 2) unless --overwrite', async () => {
    const manifest = await readFile(join(run, 'manifest.json'), 'utf8');
    const same = panda('tune', ...quick, '--seed', '1', '-o', run);
    expect(same.status, same.stderr).toBe(0);
    expect(same.stderr).toContain('resuming from step 1');
    const other = panda('tune', ...quick, '--seed', '2', '-o', run);
    expect(other.status).toBe(2);
    expect(other.stderr).toContain(`error RUN_EXISTS: ${run} already holds a finished run`);
    expect(other.stderr).toContain('--overwrite');
    expect(JSON.parse(await readFile(join(run, 'manifest.json'), 'utf8')).config).toEqual(JSON.parse(manifest).config);
    const out = join(dir, 'replaced');
    expect(panda('tune', ...quick, '--seed', '1', '-o', out).status).toBe(0);
    const replaced = panda('tune', ...quick, '--seed', '2', '-o', out, '--overwrite');
    expect(replaced.status, replaced.stderr).toBe(0);
    expect(JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')).config.seed).toBe(2);
  });

  it('without -o, says on stderr that nothing will be saved', () => {
    const r = panda('tune', ...quick);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('note: no --out folder: the trained weights will not be saved');
  });
});

describe('panda predict / eval on a single-text run', () => {
  it('refuses inputs with a second text (--text-b-column) with CONFIG_INVALID, exit 2', async () => {
    await writeFile(join(dir, 'pairs.csv'), 'a,b\nwin a prize,call now\nsee you at lunch,ok\n');
    const r = panda('predict', run, '--input', join(dir, 'pairs.csv'), '--text-column', 'a', '--text-b-column', 'b');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('error CONFIG_INVALID: this run was trained on single texts, and 2 of 2 input(s) carry a second text (textB)');
  });

  it("an unknown task in eval points at eval's own --file, not tune's --train/--dev", () => {
    const r = panda('eval', run, '--task', 'no-such-task');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("error TASK_UNKNOWN: unknown task 'no-such-task'");
    expect(r.stderr).toContain('--file');
    expect(r.stderr).not.toContain('--train/--dev');
  });
});

describe('panda transfer', () => {
  it('--no-store says what it does', () => {
    expect(transferCommand().helpInformation()).toMatch(/--no-store\s+do not store the student in the bank/);
  });

  it('--skip-bad-rows reaches the first (probe) run: a bad row is skipped, the run goes on to the bank', async () => {
    await writeFile(join(dir, 'train.csv'), `review,stars\n${rows(16)}\n"broken row"\n`);
    await writeFile(join(dir, 'dev.csv'), `review,stars\n${rows(8, 1)}\n`);
    const common = ['--train', join(dir, 'train.csv'), '--dev', join(dir, 'dev.csv'), '--text-column', 'review', '--label-column', 'stars', '--labels', 'neg,pos'];
    const t = panda('transfer', ...common, '--skip-bad-rows', '--bank', join(dir, 'empty-bank'), '-o', join(dir, 'transfer'), '--method', 'prompt-tuning', '--prompt-length', '2', '--epochs', '1', '--batch-size', '8');
    expect(t.stderr).not.toContain('DATA_ROW_INVALID');
    expect(t.stderr).toContain('skipped 1 malformed train row(s)');
    expect(t.stderr).toMatch(/error (BANK_EMPTY|MODEL_MISMATCH)/);
  });
});

describe('bin/panda.js', () => {
  // A package laid out as published (bin/ and dist/, no src/): the launcher runs dist/main.js in
  // its own process; with neither, or with PANDA_USE_DIST=1 and no build, it says so and exits 1.
  async function layout(name: string, files: Record<string, string>): Promise<string> {
    const root = join(dir, name);
    await mkdir(join(root, 'bin'), { recursive: true });
    await copyFile(BIN, join(root, 'bin', 'panda.js'));
    for (const [file, text] of Object.entries(files)) {
      await mkdir(join(root, file, '..'), { recursive: true });
      await writeFile(join(root, file), text);
    }
    return join(root, 'bin', 'panda.js');
  }
  const launch = (bin: string, extraEnv: Record<string, string> = {}) => spawnSync(process.execPath, [bin, 'a', 'b'], { encoding: 'utf8', env: { ...env, ...extraEnv } });

  it('a package without src/ runs dist/main.js in the same process, with the arguments', async () => {
    const bin = await layout('published', { 'package.json': '{"type":"module"}', 'dist/main.js': 'console.log(JSON.stringify({ pid: process.pid, argv: process.argv.slice(2), ipc: !!process.channel }));' });
    const r = spawn(process.execPath, [bin, 'a', 'b'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    r.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => r.on('exit', resolve));
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual({ pid: r.pid, argv: ['a', 'b'], ipc: false });
  });

  it('without a build it exits 1 and says what is missing: no src/ and no dist/, or PANDA_USE_DIST=1 and no dist/', async () => {
    const none = launch(await layout('empty', { 'package.json': '{"type":"module"}' }));
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/dist\/main\.js not found: this package has neither src\/main\.ts nor a build; run `pnpm build` first/);
    const unbuilt = launch(await layout('unbuilt', { 'package.json': '{"type":"module"}', 'src/main.ts': 'throw new Error("the sources must not run");' }), { PANDA_USE_DIST: '1' });
    expect(unbuilt.status).toBe(1);
    expect(unbuilt.stderr).toContain('PANDA_USE_DIST=1 asks for the built copy');
  });

  it('sources without tsx (a dev dependency) exit 1 and say what to do, without running them', async () => {
    // Outside the workspace nothing resolves tsx: the copied launcher finds src/main.ts but no tsx.
    const bin = await layout('sources-no-tsx', { 'package.json': '{"type":"module"}', 'src/main.ts': 'throw new Error("the sources must not run");' });
    const r = launch(bin, { PANDA_USE_DIST: '' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^panda: tsx not found: running the sources \(.*src\/main\.ts\) needs the workspace's dev dependencies; run `pnpm install`/);
    expect(r.stderr).not.toContain('the sources must not run');
  });

  it('the published CLI and service do not depend on tsx: it is a dev dependency, for the workspace only', async () => {
    for (const app of ['cli', 'service']) {
      const manifest = JSON.parse(await readFile(fileURLToPath(new URL(`../../${app}/package.json`, import.meta.url)), 'utf8')) as Record<string, Record<string, string> | undefined>;
      expect(manifest.dependencies?.tsx, app).toBeUndefined();
      expect(manifest.optionalDependencies?.tsx, app).toBeUndefined();
      expect(manifest.devDependencies?.tsx, app).toMatch(/^\d+\.\d+\.\d+$/);
    }
  });

  it('in the workspace it runs src/main.ts through tsx in a child, whether or not a dist/ build is present', async () => {
    const parent = spawn(process.execPath, [BIN, 'predict', join(dir, 'none'), '-i', '-'], { env: { ...env, PANDA_USE_DIST: '' }, stdio: ['pipe', 'ignore', 'ignore'] });
    const exited = new Promise<number | null>((resolve) => parent.on('exit', (code) => resolve(code)));
    // The child's command line, once it has exec'd (until then it shows the parent's).
    let argv: string[] = [];
    const deadline = Date.now() + 20_000;
    while (!argv.includes('--conditions=@panda/source') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      const child = spawnSync('pgrep', ['-P', String(parent.pid)], { encoding: 'utf8' }).stdout.trim().split('\n')[0];
      try {
        if (child) argv = readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0');
      } catch {
        // gone between pgrep and the read: try again
      }
    }
    expect(argv).toContain('--conditions=@panda/source');
    expect(argv).toContain(fileURLToPath(new URL('./main.ts', import.meta.url)));
    parent.stdin!.end();
    expect(await exited).not.toBe(0); // the run folder does not exist
  });

  it('exits 128 + n when the panda process dies of signal n (137 for SIGKILL)', async () => {
    // `predict -i -` blocks reading stdin, which stays open: a process that only a signal ends.
    const parent = spawn(process.execPath, [BIN, 'predict', join(dir, 'none'), '-i', '-'], { env, stdio: ['pipe', 'ignore', 'ignore'] });
    const exited = new Promise<number | null>((resolve) => parent.on('exit', (code) => resolve(code)));
    let child = '';
    while (!child) {
      await new Promise((r) => setImmediate(r));
      child = spawnSync('pgrep', ['-P', String(parent.pid)], { encoding: 'utf8' }).stdout.trim();
    }
    process.kill(Number(child.split('\n')[0]), 'SIGKILL');
    expect(await exited).toBe(137);
    parent.stdin!.end();
  });

  it('the panda process leaves when bin/panda.js is SIGKILLed, instead of running on as an orphan', async () => {
    // `panda serve` runs until stopped; wait until it serves, so the child is surely up.
    const parent = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--dir', join(dir, 'orphan-service')], { env, stdio: ['pipe', 'pipe', 'ignore'] });
    await new Promise<void>((resolve) => parent.stdout!.on('data', (d: Buffer) => d.toString().includes('panda service at') && resolve()));
    const child = spawnSync('pgrep', ['-P', String(parent.pid)], { encoding: 'utf8' }).stdout.trim();
    expect(child).not.toBe('');
    const pid = Number(child.split('\n')[0]);
    parent.kill('SIGKILL');
    // Alive: it has a /proc entry that is not a zombie (an orphan's zombie may wait for a reaper).
    const alive = () => {
      try {
        return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return false;
      }
    };
    const deadline = Date.now() + 20_000;
    while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(alive()).toBe(false);
    parent.stdin!.end();
  });
});
