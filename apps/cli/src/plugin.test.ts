import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/panda.js', import.meta.url));
const PLUGIN = fileURLToPath(new URL('../../../examples/plugin-example/src/index.ts', import.meta.url));

function panda(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, PANDA_BACKEND: 'wasm', ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'panda-plugin-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the example plugin through the CLI (a task, a metric and a method no core file names)', () => {
  it('without --plugin, its task and its runs are unknown', () => {
    const r = panda(['tune', '-t', 'tickets']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("error TASK_UNKNOWN: unknown task 'tickets'");
  });

  it('bias-only (BitFit) trains, saves, loads and predicts; the task metric picks the weights and scores the run', async () => {
    const out = join(dir, 'bitfit');
    const t = panda(['tune', '--plugin', PLUGIN, '-t', 'tickets', '--method', 'bias-only', '--model-lr', '1e-3', '--epochs', '2', '--batch-size', '16', '-o', out, '--json']);
    expect(t.status, t.stderr).toBe(0);
    const result = JSON.parse(t.stdout) as { metrics: { metric: string; devScore: number; devAccuracy: number }; trainableParams: number };
    expect(result.metrics.metric).toBe('balanced_accuracy');

    // Saved: the head and the encoder's bias vectors only (BitFit), each a vector.
    const adapter = JSON.parse(await readFile(join(out, 'panda_adapter.json'), 'utf8')) as { method: string; biases: number; tensors: Record<string, number[]> };
    expect(adapter.method).toBe('bias-only');
    const encoderKeys = Object.keys(adapter.tensors).filter((k) => k.startsWith('encoder/'));
    expect(encoderKeys.length).toBe(adapter.biases);
    expect(encoderKeys.length).toBeGreaterThan(8);
    expect(encoderKeys.every((k) => adapter.tensors[k]!.length === 1 && !/scale|gamma/i.test(k))).toBe(true);
    expect(Object.keys(adapter.tensors).filter((k) => !k.startsWith('encoder/')).sort()).toEqual(['head/bias', 'head/kernel']);

    // panda eval scores with the task's metrics (datasets' scoreTask, not the trainer's code): the
    // dev figures the trainer selected on are the ones eval reads from the reloaded run.
    const e = panda(['--plugin', PLUGIN, 'eval', out, '--split', 'dev', '--json']);
    expect(e.status, e.stderr).toBe(0);
    const scored = JSON.parse(e.stdout) as { metrics: Record<string, number>; examples: number };
    expect(Object.keys(scored.metrics)).toEqual(['balanced_accuracy', 'accuracy']);
    expect(scored.metrics.balanced_accuracy).toBeCloseTo(result.metrics.devScore, 12);
    expect(scored.metrics.accuracy).toBeCloseTo(result.metrics.devAccuracy, 12);

    // The plugin through $PANDA_PLUGINS instead of the flag; predictions come back per text.
    const p = panda(['predict', out, 'the login page is down, production is blocked', 'the report could sort by date, no rush'], { PANDA_PLUGINS: PLUGIN });
    expect(p.status, p.stderr).toBe(0);
    const lines = p.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line.split('\t')[0]).toMatch(/^(routine|urgent)$/);

    // Without the plugin the run's method is unknown, and the error says how to load it.
    const bare = panda(['predict', out, 'x']);
    expect(bare.status).toBe(2);
    expect(bare.stderr).toContain("unknown tuning method 'bias-only'");
    expect(bare.stderr).toContain('--plugin');
  });

  it('a plugin that is missing, or whose default export is not a plugin, is PLUGIN_INVALID (exit 2)', async () => {
    const missing = panda(['--plugin', join(dir, 'nope.mjs'), 'tune', '-t', 'spam']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('error PLUGIN_INVALID: plugin');
    expect(missing.stderr).toContain('no such file');
    const notPlugin = join(dir, 'not-a-plugin.mjs');
    await writeFile(notPlugin, 'export const x = 1;\n');
    const r = panda(['--plugin', notPlugin, 'tune', '-t', 'spam']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('its default export must be a plugin');
    const throwing = join(dir, 'throws.mjs');
    await writeFile(throwing, "export default { name: 'bad', register() { throw new Error('boom'); } };\n");
    const t = panda(['--plugin', throwing, 'tune', '-t', 'spam']);
    expect(t.status).toBe(2);
    expect(t.stderr).toContain('plugin bad');
    expect(t.stderr).toContain('register() failed: boom');
  });
});
