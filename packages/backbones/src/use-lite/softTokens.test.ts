import * as tf from '@tensorflow/tfjs-core';
import { PandaError } from '@panda/core';
import { initBackend } from '@panda/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mixSoftTokens } from '../prompts/softTokens.js';
import { UseLiteEncoder } from './encoder.js';
import { loadUseLiteTokenizer } from '../tokenizer/useLiteTokenizer.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';

let enc: UseLiteEncoder;
let tok: Tokenizer;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  enc = await UseLiteEncoder.load();
  tok = await loadUseLiteTokenizer();
});
afterAll(() => enc?.dispose());

const maxAbs = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

/** Two sentences as a padded [2, T] batch. */
function batch(texts: string[]): { ids: tf.Tensor2D; mask: tf.Tensor2D; rows: number[][] } {
  const rows = texts.map((t) => tok.encode(t));
  const t = Math.max(...rows.map((r) => r.length));
  const ids = rows.map((r) => [...r, ...Array(t - r.length).fill(0)]);
  const mask = rows.map((r) => [...Array(r.length).fill(1), ...Array(t - r.length).fill(0)]);
  return { ids: tf.tensor2d(ids, undefined, 'int32'), mask: tf.tensor2d(mask), rows };
}

describe('soft tokens inside the text (USE-Lite)', () => {
  it('rows equal to the token vectors of the ids they replace give the plain embedding (to float rounding; exactly without soft positions)', () => {
    const { ids, mask, rows } = batch(['the film was a quiet delight from start to end', 'dull']);
    // Soft rows 0..2 stand at positions 1, 3 and 4 of the first sentence and row 1 at position 0 of the second.
    const index = [Array(ids.shape[1]).fill(-1), Array(ids.shape[1]).fill(-1)];
    const placed: Array<[number, number, number]> = [[0, 1, 0], [0, 3, 1], [0, 4, 2], [1, 0, 1]];
    const table = tf.mul(enc.weights.embeddings, 2) as tf.Tensor2D; // [V, 256] the token input vectors
    const rowIds = [rows[0]![1]!, rows[0]![3]!, rows[0]![4]!];
    // Row 1 must equal both tokens it replaces for the check to be exact: make sentence 2 use the same id.
    const ids2 = ids.arraySync();
    ids2[1]![0] = rowIds[1]!;
    const idsSame = tf.tensor2d(ids2, undefined, 'int32');
    for (const [b, p, r] of placed) index[b]![p] = r;
    const softRows = tf.gather(table, tf.tensor1d(rowIds, 'int32')) as tf.Tensor2D; // [3, 256]
    const soft = { rows: softRows, index: tf.tensor2d(index, undefined, 'int32') };
    const plain = enc.forward({ ids: idsSame, mask });
    const mixed = enc.forward({ ids: idsSame, mask, soft });
    // Equal up to the order of float additions at the soft positions (2·E + timing vs E + (E + timing)).
    expect(maxAbs(plain.embedding, mixed.embedding)).toBeLessThan(1e-6);
    // No soft position at all: bit for bit the plain forward.
    const none = enc.forward({ ids: idsSame, mask, soft: { rows: softRows, index: tf.fill(idsSame.shape, -1, 'int32') as tf.Tensor2D } });
    expect(maxAbs(plain.embedding, none.embedding)).toBe(0);
    // With a prompt in front too (the prompt path), still exact against the same prompt without soft tokens.
    const prompt = tf.gather(table, tf.tensor1d([10, 20, 30], 'int32')) as tf.Tensor2D;
    const a = enc.forward({ ids: idsSame, mask, prompt });
    const b = enc.forward({ ids: idsSame, mask, prompt, soft });
    expect(maxAbs(a.embedding, b.embedding)).toBeLessThan(1e-6);
    expect(maxAbs(plain.embedding, a.embedding)).toBeGreaterThan(1e-3); // the prompt itself does change it
    tf.dispose([ids, mask, table, idsSame, softRows, soft.index, prompt, ...[plain, mixed, none, a, b].flatMap((o) => [o.pooled, o.embedding])]);
  });

  it('changes the embedding when a soft row differs from the token, and gradients reach used rows only', () => {
    const { ids, mask } = batch(['a wonderful film', 'boring']);
    const rows = tf.variable(tf.randomNormal([3, 256], 0, 0.5, 'float32', 7) as tf.Tensor2D);
    const index = tf.tensor2d([[-1, 0, -1], [2, -1, -1]], undefined, 'int32'); // row 1 unused
    const t = ids.shape[1];
    expect(t).toBe(3);
    const plain = enc.forward({ ids, mask });
    const mixed = enc.forward({ ids, mask, soft: { rows, index } });
    expect(maxAbs(plain.embedding, mixed.embedding)).toBeGreaterThan(1e-3);
    const { grads, value } = tf.variableGrads(() => tf.sum(tf.slice(enc.forward({ ids, mask, soft: { rows, index } }).embedding, [0, 0], [2, 8])) as tf.Scalar, [rows]);
    const g = grads[rows.name]!.arraySync() as number[][];
    const norm = (r: number[]) => Math.sqrt(r.reduce((a, x) => a + x * x, 0));
    expect(norm(g[0]!)).toBeGreaterThan(0);
    expect(norm(g[2]!)).toBeGreaterThan(0);
    expect(norm(g[1]!)).toBe(0);
    tf.dispose([ids, mask, rows, index, plain.pooled, plain.embedding, mixed.pooled, mixed.embedding, value, ...Object.values(grads)]);
  });

  it('refuses an index of the wrong shape or rows of the wrong width with typed errors', () => {
    const { ids, mask } = batch(['one two three', 'four']);
    const rows = tf.zeros([2, 256]) as tf.Tensor2D;
    const narrow = tf.zeros([2, 100]) as tf.Tensor2D;
    const badIndex = tf.tensor2d([[0, -1]], undefined, 'int32');
    const index = tf.fill(ids.shape, -1, 'int32') as tf.Tensor2D;
    const code = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (err) {
        return err instanceof PandaError ? err.code : 'not a PandaError';
      }
      return undefined;
    };
    expect(code(() => enc.forward({ ids, mask, soft: { rows, index: badIndex } }))).toBe('SHAPE_MISMATCH');
    expect(code(() => enc.forward({ ids, mask, soft: { rows: narrow, index } }))).toBe('SHAPE_MISMATCH');
    expect(code(() => mixSoftTokens(tf.zeros([1, 3, 256]) as tf.Tensor3D, { rows, index: badIndex }))).toBe('SHAPE_MISMATCH');
    tf.dispose([ids, mask, rows, narrow, badIndex, index]);
  });
});
