import { delimiter } from 'node:path';
import { loadPlugins } from '@panda/core/plugins';

/** Environment variable naming plugins to load (paths or package names, separated like PATH). */
export const PLUGINS_ENV = 'PANDA_PLUGINS';

/** The plugins every `panda` command loads first: the Hugging Face backbones (`--model <folder>`). */
const BUILTIN_PLUGINS = [import.meta.resolve('@panda/hf/plugin')];

/**
 * Loads the built-in plugins, then those in $PANDA_PLUGINS, then each `--plugin <module>` in order
 * (paths are relative to the working directory). Worker processes the command starts get the same
 * list (see tuneMany).
 */
export async function loadCliPlugins(flags: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const fromEnv = (env[PLUGINS_ENV] ?? '').split(delimiter).map((s) => s.trim()).filter(Boolean);
  return loadPlugins([...BUILTIN_PLUGINS, ...fromEnv, ...flags]);
}
