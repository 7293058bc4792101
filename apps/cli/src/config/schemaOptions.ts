import { Command, Option } from 'commander';
import { z } from 'zod';
import { PandaError } from '@panda/core';

/** One property of a zod object schema as JSON Schema sees it (zod 4's own `z.toJSONSchema`). */
interface Property {
  type?: string;
  enum?: unknown[];
  default?: unknown;
  description?: string;
  items?: { type?: string };
}

/** How a schema key appears on the command line: flags and value name (default `--kebab-key <value>`). */
export type FlagNames = Record<string, string>;

/** A generated option and the schema key it fills. */
export interface SchemaOption {
  key: string;
  option: Option;
}

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * Commander options for every property of a zod object schema, with help text from the schema's
 * `.describe()` and the default and choices from the schema itself, so a field added to the schema
 * shows up in `--help` with its documentation. `names` gives the command-line spelling of keys whose
 * flag is not `--kebab-case-key <value>` (short aliases, shorter names kept for compatibility).
 *
 * Values are parsed by type (integer, number, boolean, comma-separated list) but not validated
 * here: the merged flags + config file go through the schema once, so every error reads the same.
 */
export function schemaOptions(schema: z.ZodObject, options: { names?: FlagNames; only?: readonly string[]; skip?: readonly string[] } = {}): SchemaOption[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, Property> };
  const out: SchemaOption[] = [];
  for (const [key, prop] of Object.entries(json.properties ?? {})) {
    if (options.only && !options.only.includes(key)) continue;
    if (options.skip?.includes(key)) continue;
    const type = prop.type ?? (prop.enum ? 'string' : 'string');
    let flags = options.names?.[key];
    if (!flags) {
      if (type === 'boolean') flags = prop.default === true ? `--no-${kebab(key)}` : `--${kebab(key)}`;
      else flags = `--${kebab(key)} <${type === 'integer' || type === 'number' ? 'n' : type === 'array' ? 'list' : 'value'}>`;
    }
    const shown = prop.default === undefined || typeof prop.default === 'boolean' ? '' : ` (default: ${Array.isArray(prop.default) ? prop.default.join(',') : String(prop.default)})`;
    const option = new Option(flags, `${prop.description ?? key}${shown}`);
    if (prop.enum) option.choices(prop.enum.map(String));
    else if (type === 'integer') option.argParser((v: string) => integer(v, option.long ?? key));
    else if (type === 'number') option.argParser((v: string) => number(v, option.long ?? key));
    else if (type === 'array') option.argParser((v: string) => v.split(',').map((s) => s.trim()).filter(Boolean));
    out.push({ key, option });
  }
  return out;
}

export function addSchemaOptions(cmd: Command, generated: readonly SchemaOption[]): Command {
  for (const g of generated) cmd.addOption(g.option);
  return cmd;
}

/**
 * The values the user typed for the generated options (not commander's defaults), by schema key:
 * what the command line adds on top of a config file.
 */
export function typedValues(cmd: Command, generated: readonly SchemaOption[]): Record<string, unknown> {
  const opts = cmd.opts() as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const g of generated) {
    const name = g.option.attributeName();
    if (cmd.getOptionValueSource(name) === 'cli' && opts[name] !== undefined) out[g.key] = opts[name];
  }
  return out;
}

function integer(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new PandaError('CONFIG_INVALID', `${flag}: expected an integer, got '${v}'`, { details: { flag, value: v } });
  return n;
}

function number(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new PandaError('CONFIG_INVALID', `${flag}: expected a number, got '${v}'`, { details: { flag, value: v } });
  return n;
}

/** Parses `raw` with `schema` or throws CONFIG_INVALID naming each field: `invalid options: epochs: ...`. */
export function parseOptions<S extends z.ZodType>(schema: S, raw: unknown, what = 'options'): z.infer<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new PandaError('CONFIG_INVALID', `invalid ${what}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`, {
      details: { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
    });
  }
  return parsed.data;
}
