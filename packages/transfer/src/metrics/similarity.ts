import { PandaError, cosine } from '@panda/core';

type Vec = ArrayLike<number>;


/** Row mean of an [m, d] matrix given as a flat row-major array: [d]. */
export function rowMean(rows: Vec, m: number): Float64Array {
  const d = rows.length / m;
  if (!Number.isInteger(d)) throw new PandaError('SHAPE_MISMATCH', `${rows.length} entries are not ${m} rows`);
  const out = new Float64Array(d);
  for (let i = 0; i < m; i++) for (let j = 0; j < d; j++) out[j]! += rows[i * d + j]! / m;
  return out;
}

/**
 * E_avg (Su et al. 2022; SPoT's "cosine of average tokens"): cos((1/m)Σ p_s,i, (1/m)Σ p_t,j) of two
 * prompts' rows (soft prompt rows, or deep prefix table rows). Flat row-major [m, d] arrays.
 */
export function eAvg(source: Vec, sourceRows: number, target: Vec, targetRows: number): number {
  return cosine(rowMean(source, sourceRows), rowMean(target, targetRows));
}

/** SPoT's per-token average cosine: (1/(m_s·m_t)) Σ_i Σ_j cos(p_s,i, p_t,j). Flat row-major [m, d] arrays. */
export function spotPerToken(source: Vec, sourceRows: number, target: Vec, targetRows: number): number {
  const d = source.length / sourceRows;
  if (target.length / targetRows !== d) throw new PandaError('DIMENSION_MISMATCH', `prompt rows of ${d} and ${target.length / targetRows} entries`);
  const row = (x: Vec, i: number) => Array.prototype.slice.call(x, i * d, (i + 1) * d) as number[];
  let total = 0;
  for (let i = 0; i < sourceRows; i++) for (let j = 0; j < targetRows; j++) total += cosine(row(source, i), row(target, j));
  return total / (sourceRows * targetRows);
}

/**
 * ON (overlap of activated neurons, Su et al. 2022): cosine between the binary activation patterns
 * of the feed-forward neurons of all layers at the first position. A task's pattern here is each
 * neuron's activation rate over the task's sampled examples (the mean of their 0/1 patterns; with
 * one example it is the binary vector itself), so ON = cos(rate_s, rate_t).
 */
export function activationOverlap(source: Vec, target: Vec): number {
  return cosine(source, target);
}
