import { z } from 'zod';

/** PEFT's key for the classifier head saved through `modules_to_save` (BERT-style `classifier` Linear; unverified against PyTorch PEFT in this repo). */
export const PEFT_HEAD_WEIGHT = 'base_model.classifier.weight';
export const PEFT_HEAD_BIAS = 'base_model.classifier.bias';
/** Where the panda run's own adapter config travels: the safetensors `__metadata__`. */
export const PANDA_CONFIG_METADATA = 'panda_adapter_config';

/** PEFT's adapter config file (panda 0.1 runs used the same name for their own config; `peft_type` tells them apart). */
export const PEFT_CONFIG_FILE = 'adapter_config.json';

/** The fields of PEFT's `adapter_config.json` panda writes and reads (others pass through). */
export const peftConfigSchema = z
  .object({
    peft_type: z.enum(['PROMPT_TUNING', 'PREFIX_TUNING']),
    task_type: z.literal('SEQ_CLS'),
    num_virtual_tokens: z.number().int().min(1),
    token_dim: z.number().int().min(1),
    num_layers: z.number().int().min(1),
    num_attention_heads: z.number().int().min(1),
    num_transformer_submodules: z.literal(1),
    base_model_name_or_path: z.string().nullable().optional(),
    inference_mode: z.boolean().optional(),
  })
  .passthrough();

export type PeftConfig = z.infer<typeof peftConfigSchema>;
