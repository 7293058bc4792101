import type { Example } from '@panda/datasets';

const GOOD = ['a wonderful film', 'great acting and a moving story', 'i loved every minute', 'superb and funny', 'a delight', 'brilliant work'];
const BAD = ['a dull mess', 'boring and far too long', 'i hated it', 'awful script', 'a waste of time', 'painfully bad'];

/** Class names of {@link toyReviews}, in label order. */
export const TOY_LABELS = ['negative', 'positive'] as const;

/**
 * A separable toy sentiment task for tests: `n` short reviews alternating positive (label 1) and
 * negative (label 0), starting at `offset` (a different offset gives a different mix of the same
 * sentences, e.g. for a dev set).
 */
export function toyReviews(n: number, offset = 0): Example[] {
  return Array.from({ length: n }, (_, i) => {
    const pos = (i + offset) % 2 === 0;
    const pool = pos ? GOOD : BAD;
    return { id: `toy:${i + offset}`, text: pool[(i + offset) % pool.length]!, label: pos ? 1 : 0 };
  });
}
