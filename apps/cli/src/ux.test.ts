import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { etaText, progressPrinter } from './ui/progress.js';

const BIN = fileURLToPath(new URL('../bin/panda.js', import.meta.url));
const panda = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, PANDA_BACKEND: 'wasm' } });

/** A stream that says it is a terminal and keeps what is written to it. */
function fakeTerminal(): { stream: NodeJS.WriteStream; text(): string } {
  let out = '';
  const w = new Writable({
    write(chunk, _enc, done) {
      out += String(chunk);
      done();
    },
  }) as unknown as NodeJS.WriteStream & { isTTY: boolean; columns: number };
  w.isTTY = true;
  w.columns = 120;
  (w as unknown as { cursorTo: () => boolean; clearLine: () => boolean; moveCursor: () => boolean }).cursorTo = () => true;
  (w as unknown as { clearLine: () => boolean }).clearLine = () => true;
  (w as unknown as { moveCursor: () => boolean }).moveCursor = () => true;
  return { stream: w, text: () => out };
}

describe('the command line a researcher lives in', () => {
  it('the progress bar keeps its fields after an evaluation line (they printed as {phase} {loss} {sps})', () => {
    const t = fakeTerminal();
    const p = progressPrinter({ json: false, stream: t.stream });
    p.listener({ type: 'start', phase: 'train', total: 4 });
    p.listener({ type: 'step', phase: 'train', step: 1, total: 4, loss: 0.7, stepsPerSecond: 2 });
    p.listener({ type: 'eval', phase: 'train', epoch: 1, metrics: { devAccuracy: 0.5 } });
    p.listener({ type: 'step', phase: 'train', step: 3, total: 4, loss: 0.25, stepsPerSecond: 2.5 });
    p.listener({ type: 'done', phase: 'train' });
    p.stop();
    const out = t.text();
    expect(out).toContain('epoch 1: devAccuracy 50.00 %');
    expect(out).toContain('loss 0.2500');
    expect(out).not.toMatch(/\{(phase|loss|sps)\}/);
  });

  it('the ETA comes from the measured speed: "-" before one is known (it printed "ETA 0s" at step 0), then the time left', () => {
    const t = fakeTerminal();
    const p = progressPrinter({ json: false, stream: t.stream });
    p.listener({ type: 'start', phase: 'train', total: 200 });
    expect(t.text()).toContain('ETA -');
    p.listener({ type: 'step', phase: 'train', step: 20, total: 200, loss: 0.7, stepsPerSecond: 2 });
    p.stop();
    expect(t.text()).toContain('ETA 1m30s');
    expect(etaText(0, 10, undefined)).toBe('-');
    expect(etaText(5, 10, 0.5)).toBe('10s');
    expect(etaText(0, 10_000, 2)).toBe('1h23m');
  });

  it('without a terminal the progress lines carry the ETA too', () => {
    let out = '';
    const stream = new Writable({ write: (c, _e, done) => ((out += String(c)), done()) }) as unknown as NodeJS.WriteStream;
    const p = progressPrinter({ json: false, stream });
    p.listener({ type: 'start', phase: 'train', total: 100 });
    p.listener({ type: 'step', phase: 'train', step: 10, total: 100, loss: 0.5, stepsPerSecond: 3 });
    p.stop();
    expect(out).toContain('train: step 10/100 loss 0.5000 (3.00 steps/s), ETA 30s');
  });

  it('every command’s --help ends with examples', () => {
    for (const cmd of ['demo', 'tune', 'eval', 'predict', 'transfer', 'grid', 'bank', 'templates', 'serve']) {
      const r = panda(cmd, '--help');
      expect(r.status, cmd).toBe(0);
      expect(r.stdout, cmd).toMatch(new RegExp(`Examples:\\n  panda ${cmd === 'transfer' ? 'bank' : cmd}`));
    }
  });

  it('a bad number names its flag', () => {
    const r = panda('tune', '--epochs', 'zero');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("--epochs: expected an integer, got 'zero'");
  });

  it('under --json an error is one JSON object on stderr, with its code and exit status', () => {
    const r = panda('tune', '-t', 'nope', '--json');
    expect(r.status).toBe(2);
    const last = JSON.parse(r.stderr.trim().split('\n').at(-1)!) as { error: { code: string; exitCode: number; message: string } };
    expect(last.error).toMatchObject({ code: 'TASK_UNKNOWN', exitCode: 2 });
    expect(last.error.message).toContain("unknown task 'nope'");
  });

  it('panda tune reports the linear probe on the same rows beside the run (--no-baseline: not)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'panda-baseline-'));
    const good = ['a wonderful film', 'great acting', 'i loved it', 'superb and funny'];
    const bad = ['a dull mess', 'boring and long', 'i hated it', 'awful script'];
    const rows = (n: number, off: number) => `text,label\n${Array.from({ length: n }, (_, i) => `"${((i + off) % 2 ? bad : good)[(i + off) % 4]}",${(i + off) % 2 ? 'neg' : 'pos'}`).join('\n')}\n`;
    writeFileSync(join(dir, 'train.csv'), rows(24, 0));
    writeFileSync(join(dir, 'dev.csv'), rows(12, 1));
    const args = ['tune', '--train', join(dir, 'train.csv'), '--dev', join(dir, 'dev.csv'), '--labels', 'pos,neg', '--epochs', '1', '--batch-size', '8', '--json'];
    const r = panda(...args);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { metrics: { devScore: number }; baseline?: { method: string; metric: string; devScore: number } };
    expect(out.baseline).toMatchObject({ method: 'linear-probe', metric: 'accuracy' });
    expect(out.baseline!.devScore).toBeGreaterThanOrEqual(0);
    expect(out.baseline!.devScore).toBeLessThanOrEqual(1);
    const human = panda(...args.filter((a) => a !== '--json'));
    expect(human.stdout).toMatch(/baseline +linear probe on the same rows: dev \d+\.\d\d %.*this run (beats|trails|ties) it/);
    const none = panda(...args, '--no-baseline');
    expect((JSON.parse(none.stdout) as { baseline?: unknown }).baseline).toBeUndefined();
  });
});
