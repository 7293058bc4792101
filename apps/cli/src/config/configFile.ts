import { readFileSync } from 'node:fs';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { PandaError } from '@panda/core';

/**
 * Reads a config file: YAML (`.yaml`/`.yml`) or JSON (`.json`; other names: JSON, else YAML). The
 * top level must be a mapping of option names (the same names as the schema keys, e.g.
 * `promptLength`, `textColumn`). Values of `pathKeys` are resolved against the file's folder, so a
 * config file works from any working directory.
 */
export function readConfigFile(file: string, pathKeys: readonly string[] = []): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PandaError('CONFIG_INVALID', `cannot read config file ${file}: ${(err as Error).message}`, { cause: err });
  }
  const ext = extname(file).toLowerCase();
  let value: unknown;
  try {
    if (ext === '.yaml' || ext === '.yml') value = parseYaml(text);
    else {
      try {
        value = JSON.parse(text);
      } catch (err) {
        if (ext === '.json') throw err;
        value = parseYaml(text);
      }
    }
  } catch (err) {
    throw new PandaError('CONFIG_INVALID', `config file ${file} does not parse: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new PandaError('CONFIG_INVALID', `config file ${file} must hold a mapping of option names to values`);
  const out = { ...(value as Record<string, unknown>) };
  const base = dirname(resolve(file));
  for (const key of pathKeys) {
    const v = out[key];
    if (typeof v === 'string' && v && !isAbsolute(v)) out[key] = resolve(base, v);
  }
  return out;
}

/** Splits a config object into the keys of each schema; a key no schema knows is CONFIG_INVALID. */
export function splitConfig(config: Record<string, unknown>, groups: Record<string, readonly string[]>, file: string): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = Object.fromEntries(Object.keys(groups).map((g) => [g, {}]));
  const known = Object.values(groups).flat();
  for (const [key, value] of Object.entries(config)) {
    const group = Object.entries(groups).find(([, keys]) => keys.includes(key))?.[0];
    if (!group) throw new PandaError('CONFIG_INVALID', `config file ${file}: unknown option '${key}' (known: ${known.join(', ')})`, { details: { key } });
    out[group]![key] = value;
  }
  return out;
}
