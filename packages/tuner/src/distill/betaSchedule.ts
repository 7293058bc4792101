import type { DistillConfig } from './config.js';

/**
 * β at a point of training, from the pair's β and the schedule (PANDA's `get_beta`/`get_beta2`):
 * with E epochs, w = ⌊0.1·E⌋ warm-up epochs and e the current fractional epoch (steps done / steps
 * per epoch),
 * - constant: β;
 * - warmup-decay: β·e/w while e < w, then β·(1 − (e − w)/(E − w));
 * - hold-decay: β while e < w, then β·(1 − (e − w)/(E − w)).
 * With w = 0 (fewer than 10 epochs) both decays start at once.
 */
export function betaAt(schedule: DistillConfig['betaSchedule'], beta: number, epochProgress: number, epochs: number): number {
  if (schedule === 'constant') return beta;
  const w = Math.floor(0.1 * epochs);
  if (epochProgress < w) return schedule === 'warmup-decay' ? (beta * epochProgress) / w : beta;
  if (epochs === w) return beta;
  return beta * Math.max(0, 1 - (epochProgress - w) / (epochs - w));
}
