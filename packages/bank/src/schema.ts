import { z } from 'zod';
import { PandaError } from '@panda/core';

/**
 * zod schemas for every input the bank takes. Names (task, model, method) are compared exactly, so
 * they may not carry leading/trailing whitespace or control characters. Entry ids additionally must
 * not be able to name a path outside the bank: no backslash, and no '/'-separated segment may be
 * empty, '.' or '..' (the bank encodes ids before using them in file names anyway).
 */

const CONTROL = /[\u0000-\u001f\u007f]/;

/** Task, model and method names. */
export const nameSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(256, 'must be at most 256 characters')
  .refine((s) => !CONTROL.test(s), 'must not contain control characters')
  .refine((s) => s.trim() === s, 'must not start or end with whitespace');

/** Entry ids, e.g. 'sst2/deep-prompt-tuning/s1'. */
export const entryIdSchema = nameSchema
  .refine((s) => !s.includes('\\'), 'must not contain a backslash')
  .refine((s) => s.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..'), "'/'-separated segments must not be empty, '.' or '..'");

const finite = z.number().refine(Number.isFinite, 'must be finite');

/** Float32Array, Float64Array or an array of numbers; checked for width/finiteness separately. */
export const embeddingSchema = z.union([z.instanceof(Float32Array), z.instanceof(Float64Array), z.array(z.number())]);

export const entryInputSchema = z
  .object({
    id: entryIdSchema,
    task: nameSchema,
    model: nameSchema,
    method: nameSchema,
    embedding: embeddingSchema,
    adapterDir: z.string().min(1).optional(),
    manifest: z.record(z.string(), z.unknown()).optional(),
    metrics: z.record(z.string(), finite).optional(),
  })
  .strict();

export const listFilterSchema = z.object({ task: nameSchema.optional(), model: nameSchema.optional(), method: nameSchema.optional() }).strict();

export const queryOptionsSchema = z
  .object({
    model: nameSchema,
    k: z.number().int().min(1).max(1_000_000).default(10),
    excludeTasks: z.array(nameSchema).optional(),
    method: nameSchema.optional(),
    exact: z.boolean().default(false),
    efSearch: z.number().int().min(1).max(100_000).optional(),
  })
  .strict();

export const bankOptionsSchema = z
  .object({
    efSearch: z.number().int().min(1).max(100_000).default(200),
    M: z.number().int().min(2).max(256).default(48),
    efConstruction: z.number().int().min(1).max(100_000).default(400),
    seed: z.number().int().min(0).default(100),
    rebuildRatio: z.number().gt(0).max(1).default(0.25),
    saveIndexEvery: z.number().int().min(0).default(1),
    busyTimeoutMs: z.number().int().min(0).default(10_000),
    orphanGraceMs: z.number().int().min(0).default(600_000),
  })
  .strict();

export type ResolvedBankOptions = z.infer<typeof bankOptionsSchema>;

/** Parses `value` or throws CONFIG_INVALID naming every problem (`details.issues`: path + message). */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
  const text = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
  throw new PandaError('CONFIG_INVALID', `invalid ${what}: ${text}`, { details: { issues } });
}
