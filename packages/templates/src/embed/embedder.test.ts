import { describe, expect, it } from 'vitest';
import type { Backbone } from '@panda/backbones';
import { cosine } from '@panda/core';
import { backboneEmbedder, type TensorFactory } from './embedder.js';

/** Fake tensors that record their data and disposal. */
function fakes(): { tensors: TensorFactory; live: Set<object>; created: () => number } {
  const live = new Set<object>();
  let created = 0;
  const tensor2d: TensorFactory['tensor2d'] = (values, shape) => {
    const t = { shape, data: async () => values, dataSync: () => values, dispose: () => void live.delete(t) };
    live.add(t);
    created++;
    return t as unknown as ReturnType<TensorFactory['tensor2d']>;
  };
  return { tensors: { tensor2d }, live, created: () => created };
}

/** An encoder double: embedding = [sum of masked ids, number of masked positions, T]. */
function fakeBackbone(f: ReturnType<typeof fakes>, batches: number[][]): Pick<Backbone, 'id' | 'encoder' | 'tokenizer'> {
  const encoder = {
    hidden: 3,
    maxPositions: 6,
    forward: ({ ids, mask }: { ids: { shape: [number, number]; dataSync(): Int32Array }; mask: { dataSync(): Float32Array } }) => {
      const [b, t] = ids.shape;
      const id = ids.dataSync();
      const m = mask.dataSync();
      batches.push([b, t]);
      const out = new Float32Array(b * 3);
      for (let r = 0; r < b; r++) {
        for (let k = 0; k < t; k++) {
          out[r * 3]! += id[r * t + k]! * m[r * t + k]!;
          out[r * 3 + 1]! += m[r * t + k]!;
        }
        out[r * 3 + 2] = t;
      }
      const mk = (): unknown => f.tensors.tensor2d(out, [b, 3], 'float32');
      return { pooled: mk(), embedding: mk() };
    },
  };
  return { id: 'fake', encoder: encoder as never, tokenizer: { encode: () => [], padId: 0, vocabSize: 10 } };
}

describe('backboneEmbedder', () => {
  it('batches rows by length, pads with the pad id, clips at maxPositions, keeps input order, frees every tensor', async () => {
    const f = fakes();
    const batches: number[][] = [];
    const emb = backboneEmbedder(fakeBackbone(f, batches), f.tensors, { batchSize: 2 });
    const rows = [[5, 5, 5], [1], [], [2, 2, 2, 2, 2, 2, 2, 2], [3, 3]];
    const out = await emb.embedIds(rows);
    expect(out.map((v) => [v[0], v[1]])).toEqual([
      [15, 3],
      [1, 1],
      [0, 1], // an empty row keeps one unmasked pad position
      [12, 6], // clipped to 6 positions
      [6, 2],
    ]);
    expect(batches).toEqual([
      [2, 1],
      [2, 3],
      [1, 6],
    ]);
    expect(f.live.size).toBe(0);
    expect(f.created()).toBe(3 * 4);
  });

  it('embeds each distinct row once (repeats within a call too) and serves later repeats from its cache', async () => {
    const f = fakes();
    const batches: number[][] = [];
    const emb = backboneEmbedder(fakeBackbone(f, batches), f.tensors);
    await emb.embedIds([[1, 2], [1, 2], [3]]);
    await emb.embedIds([[3], [4]]);
    expect(emb.stats).toEqual({ rows: 3, cached: 1 });
    expect(batches.flat().length).toBe(4); // two forward passes
  });

  it('cosine is 1 for parallel, 0 for orthogonal or zero vectors', () => {
    expect(cosine(Float32Array.of(1, 2), Float32Array.of(2, 4))).toBeCloseTo(1, 6);
    expect(cosine(Float32Array.of(1, 0), Float32Array.of(0, 3))).toBe(0);
    expect(cosine(Float32Array.of(0, 0), Float32Array.of(1, 1))).toBe(0);
  });
});
