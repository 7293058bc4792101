import { describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPandaError } from '@panda/core';
import { materialize } from '../worker/materialize.js';
import { toWire, wireJobId, wireJobSchema } from './wireJob.js';
import { packRun, runBundleSchema, unpackRun } from './runBundle.js';

async function fakeRun(dir: string, payload: string, config = 'panda_adapter.json'): Promise<string> {
  for (const f of ['adapter.safetensors', config, 'manifest.json']) await writeFile(join(dir, f), f === config ? JSON.stringify({ payload }) : `${f}:${payload}`);
  return dir;
}

describe('the wire form of a tuning job', () => {
  it('ships source runs, teachers and the data files, names no path, and the worker writes them only inside the job folder', async () => {
    const root = await mkdtemp(join(tmpdir(), 'panda-wire-'));
    const src = await fakeRun(await mkdtemp(join(root, 'src-')), 'source');
    const teacher = await fakeRun(await mkdtemp(join(root, 'teacher-')), 'teacher');
    await writeFile(join(root, 'my train.csv'), 'text,label\nok,pos\nbad,neg\n');
    const wire = await toWire(
      { task: { name: 'mine', files: { train: join(root, 'my train.csv') }, columns: { text: 'text', label: 'label' }, labels: ['neg', 'pos'] }, config: { epochs: 1 }, outDir: join(root, 'out'), dataDir: '/etc', initFrom: [{ dir: src }], teachers: [{ dir: teacher, beta: 0.5, name: 't' }], plugins: ['file:///x.js'] },
      'cell-1',
    );
    const json = JSON.stringify(wire);
    expect(json).not.toContain(root);
    expect(json).not.toContain('/etc');
    expect(wireJobSchema.parse(JSON.parse(json))).toEqual(wire);

    const jobDir = join(root, 'worker', 'job');
    const local = await materialize(wire, jobDir, '/worker/data');
    expect(local.outDir).toBe(join(jobDir, 'out'));
    expect(local.dataDir).toBe('/worker/data');
    const paths = [local.initFrom![0]!.dir, local.teachers![0]!.dir, (local.task as { files: { train: string } }).files.train];
    for (const p of paths) expect(p.startsWith(jobDir + '/')).toBe(true);
    expect(await readFile(join(local.teachers![0]!.dir, 'manifest.json'), 'utf8')).toBe('manifest.json:teacher');
    expect(await readFile((local.task as { files: { train: string } }).files.train, 'utf8')).toBe('text,label\nok,pos\nbad,neg\n');
    expect((await readdir(jobDir)).sort()).toEqual(['data', 'init-0', 'teacher-0']);
  });

  it('refuses jobs that name folders or odd file names, and data over the size limit', async () => {
    const base = { version: 1, label: 'x', task: 'spam', returnRun: false };
    expect(wireJobSchema.safeParse(base).success).toBe(true);
    expect(wireJobSchema.safeParse({ ...base, outDir: '/etc' }).success).toBe(false);
    expect(wireJobSchema.safeParse({ ...base, dataDir: '/etc' }).success).toBe(false);
    const fileTask = { name: 'm', columns: { text: 0, label: 1 }, labels: ['a', 'b'] };
    expect(wireJobSchema.safeParse({ ...base, task: { ...fileTask, files: { train: { name: '../../etc/passwd', data: '' } } } }).success).toBe(false);
    expect(wireJobSchema.safeParse({ ...base, teachers: [{ beta: 1, run: { files: { '../x': 'AA==' } } }] }).success).toBe(false);

    const root = await mkdtemp(join(tmpdir(), 'panda-wire-'));
    await writeFile(join(root, 'big.csv'), 'x'.repeat(2000));
    await expect(toWire({ task: { name: 'm', files: { train: join(root, 'big.csv') }, columns: { text: 0, label: 1 }, labels: ['a', 'b'] } }, 'big', 1000)).rejects.toSatisfy((e) => isPandaError(e, 'CONFIG_INVALID'));
    await expect(toWire({ task: 'spam', initFrom: [{ dir: join(root, 'missing') }] }, 'm')).rejects.toSatisfy((e) => isPandaError(e, 'CHECKPOINT_INVALID'));
  });

  it('packs a run of panda 0.1 (adapter_config.json) under the new name, and still unpacks a 0.1 bundle', async () => {
    const root = await mkdtemp(join(tmpdir(), 'panda-wire-'));
    const old = await fakeRun(await mkdtemp(join(root, 'old-')), 'old', 'adapter_config.json');
    const bundle = await packRun(old);
    expect(Object.keys(bundle.files)).toEqual(['adapter.safetensors', 'panda_adapter.json', 'manifest.json']);
    expect(Buffer.from(bundle.files['panda_adapter.json']!, 'base64').toString()).toBe('{"payload":"old"}');
    // A bundle as panda 0.1 sent it.
    const legacy = runBundleSchema.parse({ files: { 'adapter.safetensors': 'AA==', 'adapter_config.json': Buffer.from('{"payload":"legacy"}').toString('base64'), 'manifest.json': 'AA==' } });
    const into = join(root, 'unpacked');
    expect(await unpackRun(legacy, into)).toEqual(['adapter.safetensors', 'panda_adapter.json', 'manifest.json'].map((f) => join(into, f)));
    expect(await readFile(join(into, 'panda_adapter.json'), 'utf8')).toBe('{"payload":"legacy"}');
    expect((await readdir(into)).sort()).toEqual(['adapter.safetensors', 'manifest.json', 'panda_adapter.json']);
    // One config per bundle, and all three files.
    expect(runBundleSchema.safeParse({ files: { ...legacy.files, 'panda_adapter.json': 'AA==' } }).success).toBe(false);
    expect(runBundleSchema.safeParse({ files: { 'adapter.safetensors': 'AA==', 'manifest.json': 'AA==' } }).success).toBe(false);
    // A PEFT adapter folder is no run to ship.
    const peft = await mkdtemp(join(root, 'peft-'));
    await writeFile(join(peft, 'adapter_config.json'), '{"peft_type":"PROMPT_TUNING"}');
    await writeFile(join(peft, 'adapter.safetensors'), 'x');
    await writeFile(join(peft, 'manifest.json'), '{}');
    await expect(packRun(peft)).rejects.toSatisfy((e) => isPandaError(e, 'CHECKPOINT_INVALID') && /panda_adapter\.json cannot be read/.test((e as Error).message));
  });

  it('gives the same job the same id, and a job with other inputs another', async () => {
    const a = await toWire({ task: 'spam', config: { seed: 1 } }, 'a');
    expect(wireJobId(a)).toBe(wireJobId(await toWire({ task: 'spam', config: { seed: 1 } }, 'a')));
    expect(wireJobId(a)).not.toBe(wireJobId(await toWire({ task: 'spam', config: { seed: 2 } }, 'a')));
    expect(wireJobId(a)).toMatch(/^panda-[0-9a-f]{32}$/);
  });
});
