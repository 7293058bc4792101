import { z } from 'zod';

/**
 * How a predicted transferability T(s, t) ∈ [−1, 1] becomes PANDA's KD weight β. The paper does not
 * say; `clip` (β = max(T, 0)) is our default, since a negative β would reward moving away from the
 * teacher. `constant` ignores T (the ablation).
 */
export const betaMappingSchema = z
  .object({
    map: z.enum(['clip', 'shift', 'constant']).default('clip').describe("'clip': β = max(T, 0); 'shift': β = (T + 1)/2; 'constant': β = value for every pair (ablation)"),
    value: z.number().min(0).default(0.5).describe("β of the 'constant' mapping"),
  })
  .strict();
export type BetaMapping = z.infer<typeof betaMappingSchema>;

export function betaFrom(similarity: number, mapping: BetaMapping): number {
  if (mapping.map === 'constant') return mapping.value;
  if (mapping.map === 'shift') return (similarity + 1) / 2;
  return Math.max(0, similarity);
}
