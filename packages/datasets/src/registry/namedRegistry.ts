import { z } from 'zod';
import { PandaError } from '@panda/core';

/** A registry entry's name: non-empty, no leading or trailing white space. */
export const entryNameSchema = z
  .string()
  .min(1)
  .regex(/^\S(.*\S)?$/, 'must not start or end with white space')
  .describe('registered name');

/** A function-valued field of a registration (zod 4 has no function schema). */
export function functionSchema<F extends (...args: never[]) => unknown>(what: string): z.ZodType<F> {
  return z.custom<F>((v) => typeof v === 'function', { message: `${what} must be a function` });
}

/** What a {@link NamedRegistry} registers: a named entry with a description. */
export interface NamedEntry {
  readonly name: string;
  readonly description: string;
}

/** How a {@link NamedRegistry} validates and what it starts with. */
export interface NamedRegistryOptions<T extends NamedEntry> {
  /** Validates a registration (build it with {@link entryNameSchema} and {@link functionSchema}). */
  schema: z.ZodType;
  /** Further checks of a valid, not yet registered entry against the entries already there; throws a PandaError. */
  check?: (entry: T, registered: ReadonlyArray<Readonly<T>>) => void;
  /** Entries registered at once, in order (they pass the same checks). */
  builtins?: readonly T[];
}

/**
 * Named, extensible definitions of one kind (task metrics, template families, verbalizer kinds,
 * transferability metrics). Entries are validated against the registry's schema when registered,
 * stored as frozen copies, kept in registration order, and never replaced: a second entry with a
 * registered name is refused. Names are matched exactly.
 */
export class NamedRegistry<T extends NamedEntry> {
  readonly #entries = new Map<string, Readonly<T>>();
  readonly #kind: string;
  readonly #options: NamedRegistryOptions<T>;

  /** @param kind What the entries are, for messages (`task metric`). */
  constructor(kind: string, options: NamedRegistryOptions<T>) {
    this.#kind = kind;
    this.#options = options;
    for (const entry of options.builtins ?? []) this.register(entry);
  }

  /**
   * Adds an entry and returns its frozen copy.
   * @throws PandaError `CONFIG_INVALID` for an invalid registration or a name already registered,
   * or what the registry's `check` throws.
   */
  register(entry: T): Readonly<T> {
    const parsed = this.#options.schema.safeParse(entry);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new PandaError('CONFIG_INVALID', `${this.#kind} '${String((entry as { name?: unknown }).name)}': ${issue.path.join('.') || '(root)'}: ${issue.message}`, {
        details: { kind: this.#kind, issues: parsed.error.issues },
      });
    }
    if (this.#entries.has(entry.name)) {
      throw new PandaError('CONFIG_INVALID', `a ${this.#kind} named '${entry.name}' is already registered`, { details: { kind: this.#kind, name: entry.name } });
    }
    this.#options.check?.(entry, this.list());
    const frozen = Object.freeze({ ...entry });
    this.#entries.set(entry.name, frozen);
    return frozen;
  }

  /** Whether `name` is registered. */
  has(name: string): boolean {
    return this.#entries.has(name);
  }

  /**
   * The entry named `name`.
   * @throws PandaError `CONFIG_INVALID` naming every registered entry.
   */
  get(name: string): Readonly<T> {
    const entry = this.#entries.get(name);
    if (!entry) {
      throw new PandaError('CONFIG_INVALID', `unknown ${this.#kind} '${name}'; registered: ${this.names().join(', ')}`, {
        details: { kind: this.#kind, name, registered: this.names() },
      });
    }
    return entry;
  }

  /** Every registered name, in registration order. */
  names(): string[] {
    return [...this.#entries.keys()];
  }

  /** Every registered entry, in registration order. */
  list(): Array<Readonly<T>> {
    return [...this.#entries.values()];
  }
}
