import { z } from 'zod';

/** PromptSource's `!TemplateMetadata`. */
export const promptSourceMetadataSchema = z
  .object({
    original_task: z.boolean().nullable().optional(),
    choices_in_prompt: z.boolean().nullable().optional(),
    metrics: z.array(z.string()).nullable().optional(),
    languages: z.array(z.string()).nullable().optional(),
  })
  .passthrough();

/** One PromptSource `!Template`: a Jinja source with `|||` between input and target. */
export const promptSourceTemplateSchema = z
  .object({
    id: z.string().describe('a UUID, also the key of the entry'),
    name: z.string().min(1),
    jinja: z.string().min(1),
    answer_choices: z.string().nullable().optional().describe("Jinja for the answer choices, separated by '|||'"),
    reference: z.string().nullable().optional(),
    metadata: promptSourceMetadataSchema.nullable().optional(),
  })
  .passthrough();

/** A PromptSource `templates.yaml`: the dataset (and subset) and its templates keyed by id. */
export const promptSourceFileSchema = z.object({
  dataset: z.string().min(1),
  subset: z.string().nullable().optional(),
  templates: z.record(z.string(), promptSourceTemplateSchema),
});

export type PromptSourceMetadata = z.infer<typeof promptSourceMetadataSchema>;
export type PromptSourceTemplateData = z.infer<typeof promptSourceTemplateSchema>;
export type PromptSourceFile = z.infer<typeof promptSourceFileSchema>;
