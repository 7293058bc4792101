import { Rng } from '@panda/core';

/** A seeded random unit vector, `[dim]` float32 (Gaussian components, L2-normalised). */
export function randomUnit(rng: Rng, dim: number): Float32Array {
  const v = new Float32Array(dim);
  let sq = 0;
  for (let i = 0; i < dim; i++) {
    const x = rng.normal();
    v[i] = x;
    sq += x * x;
  }
  const n = Math.sqrt(sq);
  for (let i = 0; i < dim; i++) v[i] = v[i]! / n;
  return v;
}

/** The embedding tests give entry `id`: deterministic, so a parent can check what a child wrote. */
export function embeddingFor(id: string, dim: number): Float32Array {
  return randomUnit(new Rng(`embedding/${id}`), dim);
}
