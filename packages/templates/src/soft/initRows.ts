import { Rng } from '@panda/core';
import type { Backbone } from '@panda/backbones';
import type { SoftLayout } from './softLayout.js';

export interface InitRowsOptions {
  /** Seed for groups without init words (rows of random vocabulary tokens). Default 42. */
  seed?: number | string;
}

/**
 * Initial values of a template's soft rows: each row of a group with init words is the input vector
 * of the matching token (OpenPrompt's `{"soft": "words"}`, PEFT's `TEXT` init); other groups get the
 * input vectors of random vocabulary tokens (PEFT's `SAMPLE_VOCAB`), drawn with the seed.
 *
 * Reads `backbone.tokenInputTable()` once ([V, embedDim]) and disposes it.
 * @returns `rows` Float32Arrays of length embedDim, in layout order: a plain [rows, embedDim] table
 *   (make it a tensor with `tf.tensor2d`).
 */
export async function initialSoftRows(layout: SoftLayout, backbone: Pick<Backbone, 'tokenInputTable' | 'sampleIds'>, options: InitRowsOptions = {}): Promise<Float32Array[]> {
  const table = backbone.tokenInputTable(); // [V, embedDim]
  let data: Float32Array;
  const [vocab, width] = table.shape as [number, number];
  try {
    data = (await table.data()) as Float32Array;
  } finally {
    table.dispose();
  }
  const rng = new Rng(options.seed ?? 42).fork('soft-init');
  const row = (id: number): Float32Array => {
    if (!(id >= 0 && id < vocab)) throw new RangeError(`token id ${id} outside the embedding table [0, ${vocab})`);
    return data.slice(id * width, (id + 1) * width);
  };
  const rows: Float32Array[] = [];
  for (const g of layout.groups) {
    for (let k = 0; k < g.count; k++) {
      const id = g.initIds?.[k] ?? backbone.sampleIds[rng.int(backbone.sampleIds.length)]!;
      rows.push(row(id));
    }
  }
  return rows;
}
