import { z } from 'zod';
import { PandaError } from '@panda/core';

/**
 * The largest learning rate a run takes. AdamW's step is about lr per weight, so even 10 moves a
 * weight by 10 each step; far larger values (1e308) only give inf/NaN weights. Tests and grids use
 * 1e-9 … 0.3.
 */
export const MAX_LEARNING_RATE = 10;

/** A learning rate: positive, finite, at most {@link MAX_LEARNING_RATE}. */
const learningRate = (what: string) =>
  z
    .number()
    .positive({ message: `${what} must be positive` })
    .max(MAX_LEARNING_RATE, { message: `${what} must be at most ${MAX_LEARNING_RATE} (a larger learning rate makes the weights inf/NaN)` });

/** Everything a tuning run takes; shared by the library, the CLI (flags + config file) and manifests. */
export const tuneConfigSchema = z
  .object({
    method: z
      .string()
      .min(1)
      .default('prompt-tuning')
      .describe(
        'a registered tuning method: prompt-tuning: m soft prompt rows + a linear head train, the encoder stays frozen; ' +
          'deep-prompt-tuning: a key/value prefix of m rows at every attention layer (P-tuning v2) + the head, the encoder stays frozen; ' +
          'model-tuning: every encoder weight + the head train (full fine-tuning baseline); ' +
          'linear-probe: the head alone on the frozen sentence embedding; or a method a plugin registers',
      ),
    promptLength: z.number().int().min(1).default(16).describe('number of soft prompt rows m (prompt-tuning), or of prefix rows per layer (deep-prompt-tuning)'),
    promptInit: z.enum(['vocab', 'random']).default('vocab').describe('initial prompt rows: input vectors of random vocabulary tokens, or Gaussian noise'),
    prefixInit: z
      .enum(['matched', 'normal'])
      .default('matched')
      .describe("initial deep prefix (deep-prompt-tuning): 'matched' N(0, σ²) per slot with σ the std of that layer's real keys/values, or 'normal' N(0, 1) as P-tuning v2"),
    prefixDropout: z.number().min(0).lt(1).default(0.1).describe('dropout on the deep prefix in training, one mask per example (deep-prompt-tuning; P-tuning v2 uses 0.1)'),
    prefixProjection: z.boolean().default(false).describe('reparameterise the deep prefix: embedding → Linear → tanh → Linear (P-tuning v2 --prefix_projection)'),
    prefixHidden: z.number().int().min(1).default(512).describe('hidden width of the prefix reparameterisation MLP (P-tuning v2 prefix_hidden_size)'),
    // 5e-5: the top of BERT's fine-tuning grid {5e-5, 3e-5, 2e-5} (Devlin et al., 2019) and the middle
    // of the grid used for the small 2-4-layer BERTs {1e-4, 5e-5, 3e-5} (Turc et al., 2019); USE-Lite
    // has 2 layers. PANDA's repository does not give its full-tune learning rate.
    modelLr: learningRate('the encoder learning rate (modelLr)').default(5e-5).describe('learning rate of the encoder weights (model-tuning, AdamW; at most 10)'),
    epochs: z.number().int().min(1).default(3).describe('passes over the training set'),
    batchSize: z.number().int().min(1).max(1024).default(16).describe('examples per training step'),
    lr: learningRate('the learning rate (lr)').default(0.01).describe('learning rate of the soft prompt or deep prefix (AdamW; at most 10)'),
    headLr: learningRate('the head learning rate (headLr)').default(0.01).describe('learning rate of the linear head (AdamW; at most 10)'),
    weightDecay: z.number().min(0).default(0.01).describe('decoupled weight decay of the head kernel (and of the encoder matrices in model-tuning)'),
    maxGradNorm: z.number().positive().default(1).describe('clip gradients to this global L2 norm'),
    warmupSteps: z.number().int().min(0).default(0).describe('linear warm-up steps before the schedule starts'),
    schedule: z.enum(['linear', 'cosine', 'constant']).default('linear').describe('learning-rate schedule after warm-up: linear or cosine decay to 0, or constant'),
    gradAccumulation: z.number().int().min(1).default(1).describe('split each batch into this many micro-batches and sum their gradients (same update, less memory)'),
    earlyStoppingPatience: z.number().int().min(0).default(0).describe('stop after this many evaluations without a better dev score (0: never stop early)'),
    seed: z.number().int().default(42).describe('one seed for initialisation, shuffling and sampling'),
    maxTrainExamples: z.number().int().positive().optional().describe('use a seeded sample of at most this many training examples'),
    maxEvalExamples: z.number().int().positive().optional().describe('use a seeded sample of at most this many dev examples'),
    validationSplit: z
      .number()
      .positive()
      .refine((v) => v < 1 || Number.isInteger(v), { message: 'validationSplit is a fraction below 1 or a whole number of rows' })
      .optional()
      .describe(
        'carve a validation set from the training rows (after maxTrainExamples): a fraction (< 1) or a number of rows, seeded by the run seed; the run then selects its best weights and stops early on it, scores dev at every evaluation too, and reports dev at the selected step (an unbiased dev score). Default: select on dev',
      ),
    maxSeqLength: z.number().int().min(1).optional().describe('clip every text (pairs: the joined pair) to this many tokens (default: what the model takes after the prompt)'),
    evalEverySteps: z.number().int().positive().optional().describe('evaluate on dev every N steps (default: at the end of each epoch)'),
    bucket: z.number().int().min(0).default(8).describe('group batches by length within windows of this many batches (0: plain shuffle)'),
    evalBatchSize: z.number().int().min(1).default(64).describe('examples per evaluation forward pass'),
    pairEncoding: z
      .enum(['joined', 'two-tower', 'tokenizer'])
      .optional()
      .describe(
        "how a sentence pair reaches the encoder: 'joined' into one sequence (text + ' ' + textB), 'two-tower': each text encoded on its own through the same prompt and the head reading [u, v, |u - v|, u*v] (Sentence-BERT; what a sentence encoder such as USE-Lite is trained for), or 'tokenizer': the tokenizer's own pair format ([CLS] a [SEP] b [SEP] with segment ids, the longer text cut first; BERT/RoBERTa). Default: the backbone's (two-tower on USE-Lite, tokenizer on Hugging Face models; joined with a template)",
      ),
    template: z
      .string()
      .min(1)
      .optional()
      .describe(
        "render every example through this template (e.g. '{text|shorten} {soft:\"It was\"} {mask}.'); with prompt-tuning its {soft} tokens are the trained rows, placed where the template puts them, and no rows go in front",
      ),
  })
  .strict();

export type TuneConfig = z.infer<typeof tuneConfigSchema>;
export type TuneConfigInput = z.input<typeof tuneConfigSchema>;

/**
 * The tuner config, validated: a bad value is a typed `CONFIG_INVALID` naming the field (not a
 * bare ZodError), wherever the config comes from (a library call, a pool or queue job, a file).
 */
export function parseTuneConfig(input: unknown): TuneConfig {
  const parsed = tuneConfigSchema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'config'}: ${i.message}`);
  throw new PandaError('CONFIG_INVALID', `invalid tuning config: ${issues.join('; ')}`, { details: { issues } });
}
