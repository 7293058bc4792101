import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadedPlugins, loadPlugins, resolvePlugin } from './loadPlugins.js';

let dir: string;
const counter = globalThis as unknown as { pandaPluginCalls?: string[] };
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'panda-plugins-'));
  await writeFile(join(dir, 'a.mjs'), "export default { name: 'a', register() { (globalThis.pandaPluginCalls ??= []).push('a'); } };\n");
  await writeFile(join(dir, 'b.mjs'), "export default { name: 'b', async register() { await new Promise((r) => setTimeout(r, 5)); (globalThis.pandaPluginCalls ??= []).push('b'); } };\n");
  // A package the working directory can resolve by name.
  await mkdir(join(dir, 'node_modules', 'panda-plugin-c'), { recursive: true });
  await writeFile(join(dir, 'node_modules', 'panda-plugin-c', 'package.json'), JSON.stringify({ name: 'panda-plugin-c', type: 'module', main: 'index.js' }));
  await writeFile(join(dir, 'node_modules', 'panda-plugin-c', 'index.js'), "export default { name: 'c', register() { (globalThis.pandaPluginCalls ??= []).push('c'); } };\n");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadPlugins', () => {
  it('registers each module once, in order, however it is spelled; a package name resolves from cwd', async () => {
    const urls = await loadPlugins(['./a.mjs', join(dir, 'b.mjs'), pathToFileURL(join(dir, 'a.mjs')).href, 'panda-plugin-c', './b.mjs'], { cwd: dir });
    expect(counter.pandaPluginCalls).toEqual(['a', 'b', 'c']);
    expect(urls).toHaveLength(5);
    expect(new Set(urls).size).toBe(3);
    expect(loadedPlugins().map((p) => p.name)).toEqual(['a', 'b', 'c']);
    await loadPlugins(['./a.mjs'], { cwd: dir });
    expect(counter.pandaPluginCalls).toEqual(['a', 'b', 'c']);
  });

  it('names what is wrong with a plugin: missing file, unresolvable package, bad export, failed import', async () => {
    expect(() => resolvePlugin('./missing.mjs', dir)).toThrow(expect.objectContaining({ code: 'PLUGIN_INVALID', message: expect.stringContaining('no such file') }));
    expect(() => resolvePlugin('panda-plugin-none', dir)).toThrow(expect.objectContaining({ code: 'PLUGIN_INVALID', message: expect.stringContaining('cannot resolve the package') }));
    await writeFile(join(dir, 'bad.mjs'), 'export default 42;\n');
    await expect(loadPlugins(['./bad.mjs'], { cwd: dir })).rejects.toMatchObject({ code: 'PLUGIN_INVALID', message: expect.stringContaining('default export must be a plugin') });
    await writeFile(join(dir, 'syntax.mjs'), 'export default {;\n');
    await expect(loadPlugins(['./syntax.mjs'], { cwd: dir })).rejects.toMatchObject({ code: 'PLUGIN_INVALID', message: expect.stringContaining('import failed') });
    // A failed plugin is not recorded as loaded.
    expect(loadedPlugins().map((p) => p.name)).toEqual(['a', 'b', 'c']);
  });
});
