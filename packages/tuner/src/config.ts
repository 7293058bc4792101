import { z } from 'zod';

/** Everything a tuning run takes; shared by the library, the CLI (flags + config file) and manifests. */
export const tuneConfigSchema = z
  .object({
    method: z
      .enum(['prompt-tuning', 'linear-probe'])
      .default('prompt-tuning')
      .describe('prompt-tuning: m soft prompt rows + a linear head train, the encoder stays frozen; linear-probe: the head alone on the frozen sentence embedding'),
    promptLength: z.number().int().min(1).default(16).describe('number of soft prompt rows m (prompt-tuning)'),
    promptInit: z.enum(['vocab', 'random']).default('vocab').describe('initial prompt rows: input vectors of random vocabulary tokens, or Gaussian noise'),
    epochs: z.number().int().min(1).default(3).describe('passes over the training set'),
    batchSize: z.number().int().min(1).max(1024).default(16).describe('examples per training step'),
    lr: z.number().positive().default(0.01).describe('learning rate of the soft prompt (AdamW)'),
    headLr: z.number().positive().default(0.01).describe('learning rate of the linear head (AdamW)'),
    weightDecay: z.number().min(0).default(0.01).describe('decoupled weight decay of the head kernel'),
    maxGradNorm: z.number().positive().default(1).describe('clip gradients to this global L2 norm'),
    warmupSteps: z.number().int().min(0).default(0).describe('linear warm-up steps before the schedule starts'),
    schedule: z.enum(['linear', 'cosine', 'constant']).default('linear').describe('learning-rate schedule after warm-up: linear or cosine decay to 0, or constant'),
    gradAccumulation: z.number().int().min(1).default(1).describe('split each batch into this many micro-batches and sum their gradients (same update, less memory)'),
    earlyStoppingPatience: z.number().int().min(0).default(0).describe('stop after this many evaluations without a better dev score (0: never stop early)'),
    seed: z.number().int().default(42).describe('one seed for initialisation, shuffling and sampling'),
    maxTrainExamples: z.number().int().positive().optional().describe('use a seeded sample of at most this many training examples'),
    maxEvalExamples: z.number().int().positive().optional().describe('use a seeded sample of at most this many dev examples'),
    evalEverySteps: z.number().int().positive().optional().describe('evaluate on dev every N steps (default: at the end of each epoch)'),
    bucket: z.number().int().min(0).default(8).describe('group batches by length within windows of this many batches (0: plain shuffle)'),
    evalBatchSize: z.number().int().min(1).default(64).describe('examples per evaluation forward pass'),
  })
  .strict();

export type TuneConfig = z.infer<typeof tuneConfigSchema>;
export type TuneConfigInput = z.input<typeof tuneConfigSchema>;
