/** Learning-rate multipliers by step (0-based), as pure functions. */
export type ScheduleName = 'linear' | 'cosine' | 'constant';

/** Linear decay from 1 to 0 over `total` steps after `warmup` steps of linear warm-up. */
export function linearSchedule(step: number, total: number, warmup = 0): number {
  if (step < warmup) return (step + 1) / warmup;
  return Math.max(0, (total - step) / Math.max(1, total - warmup));
}

/** Half-cosine decay from 1 to 0 after a linear warm-up (transformers' get_cosine_schedule_with_warmup). */
export function cosineSchedule(step: number, total: number, warmup = 0): number {
  if (step < warmup) return (step + 1) / warmup;
  const progress = (step - warmup) / Math.max(1, total - warmup);
  return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress))));
}

export function scheduleValue(name: ScheduleName, step: number, total: number, warmup = 0): number {
  switch (name) {
    case 'linear':
      return linearSchedule(step, total, warmup);
    case 'cosine':
      return cosineSchedule(step, total, warmup);
    case 'constant':
      return step < warmup ? (step + 1) / warmup : 1;
  }
}
