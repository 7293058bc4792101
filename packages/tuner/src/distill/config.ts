import { z } from 'zod';

/**
 * The knobs of knowledge distillation from one or more teachers (PANDA, Zhong et al. 2024). The
 * defaults follow the released PANDA code: λ = 0.1, the KD term divided by the batch size once more
 * after the mean (`F.mse_loss(z_S, z_T) / B`), a constant β, teacher dropout on.
 */
export const distillConfigSchema = z
  .object({
    lambda: z.number().min(0).default(0.1).describe('weight λ of the distillation term: L = L_task + λ·β·L_KD (PANDA hard-codes 0.1)'),
    kdNorm: z
      .enum(['panda', 'mean'])
      .default('panda')
      .describe("'panda': L_KD = mean((z_S − z_T)²) / B as in the released code (divided by the batch size twice); 'mean': the plain mean squared error"),
    betaSchedule: z
      .enum(['constant', 'warmup-decay', 'hold-decay'])
      .default('constant')
      .describe("β over training: constant (released code); 'warmup-decay' rises linearly for the first 10% of epochs then decays linearly to 0 (get_beta); 'hold-decay' holds then decays (get_beta2)"),
    teacherDropout: z
      .boolean()
      .default(true)
      .describe('run the teacher with its prefix dropout on (the released code keeps the teacher in train mode); off makes the teacher deterministic'),
    cacheTeacherLogits: z
      .boolean()
      .default(true)
      .describe("compute each training example's teacher logits once when the teacher is deterministic (no dropout): same loss, one forward pass saved per step"),
  })
  .strict();

export type DistillConfig = z.infer<typeof distillConfigSchema>;
export type DistillConfigInput = z.input<typeof distillConfigSchema>;
