import { z } from 'zod';
import { distillConfigSchema } from '@panda/tuner';
import { taskEmbeddingConfigSchema } from '../embedding/taskEmbedding.js';
import { betaMappingSchema } from '../beta/beta.js';

export const GRID_METHODS = ['prompt-tuning', 'model-tuning', 'pot', 'panda', 'panda-constant', 'panda-fusion'] as const;
export type GridMethod = (typeof GRID_METHODS)[number];

/** What a grid runs when it names no methods: every method but late fusion (which needs a ranking of sources). */
export const DEFAULT_GRID_METHODS: readonly GridMethod[] = ['prompt-tuning', 'model-tuning', 'pot', 'panda', 'panda-constant'];

/** Tuning options shared by every prompt run of the grid (any field of the tuner's config). */
const tuningSchema = z.record(z.string(), z.unknown());

/**
 * An experiment grid: sources × targets × methods (paper Tables 1–5). Every prompt run uses the
 * same method and prompt length (prompt transfer needs equal shapes: one prompt length per model).
 */
export const gridSpecSchema = z
  .object({
    sources: z.array(z.string().min(1)).min(1).describe('source tasks (their prompts are transferred)'),
    targets: z.array(z.string().min(1)).min(1).describe('target tasks'),
    methods: z
      .array(z.enum(GRID_METHODS))
      .min(1)
      .default([...DEFAULT_GRID_METHODS])
      .describe('methods to run: prompt-tuning (no transfer), model-tuning, pot (vanilla prompt transfer), panda (KD with β from the metric), panda-constant (KD with a constant β), panda-fusion (PANDA with the two best sources as teachers at once, late fusion; not run by default)'),
    tuning: tuningSchema
      .default({ promptLength: 8, epochs: 5 })
      .describe('tuner config of every prompt run (method: default prompt-tuning, as in panda tune; promptLength, epochs, lr, caps, ...)'),
    modelTuning: tuningSchema.default({}).describe('overrides of `tuning` for model-tuning runs (method is set to model-tuning)'),
    panda: tuningSchema.default({}).describe('overrides of `tuning` for the PANDA students (the released CB script uses lr 7e-3 against 1e-2)'),
    embedding: taskEmbeddingConfigSchema.default(taskEmbeddingConfigSchema.parse({})).describe('how task embeddings are computed'),
    beta: betaMappingSchema.default(betaMappingSchema.parse({})).describe('how the PANDA metric maps to β'),
    constantBeta: z.union([z.number().min(0), z.literal('mean')]).default('mean').describe("β of panda-constant: a number, or 'mean' (the mean metric β over all ordered pairs of the grid's tasks, so both arms distil about equally on average)"),
    distill: distillConfigSchema.default(distillConfigSchema.parse({})).describe('distillation knobs of the PANDA runs'),
    seed: z.number().int().default(42).describe('seed of every run (without `seeds`)'),
    seeds: z
      .array(z.number().int())
      .min(1)
      .optional()
      .describe('seeds of the target runs (prompt tuning, model tuning, and PoT/PANDA for the top sources); cell ids then end in @s<seed>, and the sources train once, at the first seed. Seeds can be added later: each is its own cells'),
    topSources: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe("with `seeds`: PoT and PANDA run at every seed only for this many sources per target, the best by the first seed's PoT selection score (the validation score when runs carve one, else dev); every other source at the first seed. Default: every source at every seed"),
    sourceGrid: z
      .string()
      .min(1)
      .optional()
      .describe("folder of another grid whose source prompts (its runs/prompt-tuning/<source>) this grid transfers from instead of training its own (a grid of sources trained once, used by grids of targets)"),
    evaluateTest: z.boolean().default(false).describe('also score the best weights on a test split where the task has one'),
    workers: z.number().int().min(1).optional().describe('worker processes (default: one per core)'),
    model: z.string().min(1).optional().describe("backbone of every run: 'use-lite' (default) or a Hugging Face folder (see loadBackbone)"),
    dataDir: z.string().optional().describe('data directory of the benchmark tasks (default: $PANDA_DATA_DIR, else ./data); not bound to the grid folder, which may resume with another'),
  })
  .strict();

export type GridSpec = z.infer<typeof gridSpecSchema>;
export type GridSpecInput = z.input<typeof gridSpecSchema>;

/** Every task the grid trains a plain prompt for: sources and targets. */
export function gridTasks(spec: GridSpec): string[] {
  return [...new Set([...spec.sources, ...spec.targets])];
}
