import { z } from 'zod';
import { distillConfigSchema } from '@panda/tuner';
import { taskEmbeddingConfigSchema } from '../embedding/taskEmbedding.js';
import { betaMappingSchema } from '../beta/beta.js';

export const GRID_METHODS = ['prompt-tuning', 'model-tuning', 'pot', 'panda', 'panda-constant'] as const;
export type GridMethod = (typeof GRID_METHODS)[number];

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
    methods: z.array(z.enum(GRID_METHODS)).min(1).default([...GRID_METHODS]).describe('methods to run: prompt-tuning (no transfer), model-tuning, pot (vanilla prompt transfer), panda (KD with β from the metric), panda-constant (KD with a constant β)'),
    tuning: tuningSchema
      .default({ promptLength: 8, epochs: 5 })
      .describe('tuner config of every prompt run (method: default prompt-tuning, as in panda tune; promptLength, epochs, lr, caps, ...)'),
    modelTuning: tuningSchema.default({}).describe('overrides of `tuning` for model-tuning runs (method is set to model-tuning)'),
    panda: tuningSchema.default({}).describe('overrides of `tuning` for the PANDA students (the released CB script uses lr 7e-3 against 1e-2)'),
    embedding: taskEmbeddingConfigSchema.default(taskEmbeddingConfigSchema.parse({})).describe('how task embeddings are computed'),
    beta: betaMappingSchema.default(betaMappingSchema.parse({})).describe('how the PANDA metric maps to β'),
    constantBeta: z.union([z.number().min(0), z.literal('mean')]).default('mean').describe("β of panda-constant: a number, or 'mean' (the mean metric β over all ordered pairs of the grid's tasks, so both arms distil about equally on average)"),
    distill: distillConfigSchema.default(distillConfigSchema.parse({})).describe('distillation knobs of the PANDA runs'),
    seed: z.number().int().default(42).describe('seed of every run'),
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
