import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { PandaError } from '../errors/pandaError.js';
import type { PandaPlugin } from './plugin.js';

const pluginSchema = z.object({ name: z.string().min(1), register: z.function() });

/** Module URLs already registered in this process, in load order (what worker processes are sent). */
const loaded = new Map<string, string>();

/**
 * The `file:` URL of a plugin spec: a path (absolute, or relative to `cwd`: `./my-plugin.ts`) or a
 * package name installed where `cwd` can resolve it (`my-panda-plugin`). A `file:` URL passes through.
 * @throws `PLUGIN_INVALID` when nothing is found there.
 */
export function resolvePlugin(spec: string, cwd: string = process.cwd()): string {
  if (spec.startsWith('file:')) return spec;
  const looksLikePath = spec.startsWith('.') || isAbsolute(spec) || /\.[cm]?[jt]s$/.test(spec);
  if (looksLikePath) {
    const abs = resolve(cwd, spec);
    if (!existsSync(abs)) throw new PandaError('PLUGIN_INVALID', `plugin ${spec}: no such file (${abs})`, { details: { spec, path: abs } });
    return pathToFileURL(abs).href;
  }
  try {
    return pathToFileURL(createRequire(join(cwd, 'noop.js')).resolve(spec)).href;
  } catch (err) {
    throw new PandaError('PLUGIN_INVALID', `plugin ${spec}: cannot resolve the package from ${cwd} (install it there, or give a path such as ./plugin.js)`, { cause: err, details: { spec } });
  }
}

/**
 * Imports each plugin module and calls its default export's `register()` once per process (a
 * module named twice, or by two spellings of one path, registers once). Plugins load in order, so
 * a later one may build on an earlier one's registrations.
 * @returns the plugins' module URLs, for passing to worker processes
 * @throws `PLUGIN_INVALID` for a missing module, one that fails to import or to register, or one
 *   whose default export is not `{ name, register() }`.
 */
export async function loadPlugins(specs: readonly string[], options: { cwd?: string } = {}): Promise<string[]> {
  const urls: string[] = [];
  for (const spec of specs) {
    const url = resolvePlugin(spec, options.cwd);
    urls.push(url);
    if (loaded.has(url)) continue;
    let mod: { default?: unknown };
    try {
      mod = (await import(url)) as { default?: unknown };
    } catch (err) {
      throw new PandaError('PLUGIN_INVALID', `plugin ${spec}: import failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err, details: { spec, url } });
    }
    const parsed = pluginSchema.safeParse(mod.default);
    if (!parsed.success) throw new PandaError('PLUGIN_INVALID', `plugin ${spec}: its default export must be a plugin { name, register() } (see definePlugin in @panda/core)`, { details: { spec, url } });
    const plugin = mod.default as PandaPlugin;
    try {
      await plugin.register();
    } catch (err) {
      throw new PandaError('PLUGIN_INVALID', `plugin ${plugin.name} (${spec}): register() failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err, details: { spec, url, plugin: plugin.name } });
    }
    loaded.set(url, plugin.name);
  }
  return urls;
}

/** The plugins registered in this process: their module URLs and names, in load order. */
export function loadedPlugins(): Array<{ url: string; name: string }> {
  return [...loaded].map(([url, name]) => ({ url, name }));
}
