import type { Backbone, EncoderInput, Tokenizer } from '@panda/backbones';

/**
 * A sentence encoder seen from templates: token ids in, unit-length (or any) embedding vectors out.
 * Scoring by similarity needs nothing else, so tests can use a small deterministic double.
 */
export interface TokenEmbedder {
  /** Model id (recorded in results). */
  readonly id: string;
  /** Width of the embeddings. */
  readonly dim: number;
  /** Longest id sequence the model takes (longer rows are rendered shorter by the template). */
  readonly maxLength: number;
  readonly tokenizer: Pick<Tokenizer, 'encode' | 'padId'>;
  /** One embedding per row, in order. */
  embedIds(rows: ReadonlyArray<readonly number[]>): Promise<Float32Array[]>;
}

/** An int32/float32 [B, T] tensor, as the backbone's encoder takes it. */
export type Tensor2D = EncoderInput['ids'];

/**
 * The one tensor constructor the embedder needs: pass `tf` from `@tensorflow/tfjs-core` (the same
 * instance the backbone uses). Templates does not depend on TensorFlow.js itself, so rendering,
 * parsing and verbalizers stay pure and light.
 */
export interface TensorFactory {
  tensor2d(values: Int32Array | Float32Array, shape: [number, number], dtype: 'int32' | 'float32'): Tensor2D;
}

export interface BackboneEmbedderOptions {
  /** Rows per forward pass (default 32). Rows are sorted by length first, so padding stays small. */
  batchSize?: number;
  /** Keep up to this many embeddings keyed by their ids (default 20,000; 0 disables). */
  cacheSize?: number;
}

/**
 * Embeds token ids with a backbone's frozen encoder (`embedding`: for USE-Lite the L2-normalised
 * 512-d sentence vector). Ids beyond `encoder.maxPositions` are clipped as the model clips them
 * (render with `maxLength` to choose what is cut instead).
 *
 * The forward passes run on the backbone's inference engine (ONNX Runtime) when it has one, else on
 * its encoder; the two agree to float rounding.
 *
 * Memory: each batch creates ids [b, T] and mask [b, T], runs `forward` (which tidies its own
 * intermediates), reads `embedding` [b, dim] and disposes all four tensors, so no tensor outlives a call.
 *
 * @example backboneEmbedder(await loadUseLite(), tf)
 */
export function backboneEmbedder(backbone: Pick<Backbone, 'id' | 'encoder' | 'tokenizer'> & Partial<Pick<Backbone, 'inference'>>, tensors: TensorFactory, options: BackboneEmbedderOptions = {}): TokenEmbedder & { readonly stats: { rows: number; cached: number } } {
  const batchSize = options.batchSize ?? 32;
  const cacheSize = options.cacheSize ?? 20_000;
  const { encoder, tokenizer } = backbone;
  const cache = new Map<string, Float32Array>();
  const stats = { rows: 0, cached: 0 };
  const maxLength = encoder.maxPositions;

  let engine: Awaited<ReturnType<NonNullable<Backbone['inference']>>> | null = null;
  async function run(rows: ReadonlyArray<readonly number[]>): Promise<Float32Array[]> {
    engine ??= (await backbone.inference?.()) ?? undefined;
    const out: Float32Array[] = new Array(rows.length);
    const order = rows.map((_, i) => i).sort((a, b) => rows[a]!.length - rows[b]!.length);
    for (let s = 0; s < order.length; s += batchSize) {
      const batch = order.slice(s, s + batchSize);
      const t = Math.max(1, Math.min(maxLength, Math.max(...batch.map((i) => rows[i]!.length)))); // padded length
      const ids = new Int32Array(batch.length * t).fill(tokenizer.padId);
      const mask = new Float32Array(batch.length * t);
      batch.forEach((row, b) => {
        const r = rows[row]!;
        const n = Math.min(t, r.length);
        for (let k = 0; k < n; k++) {
          ids[b * t + k] = r[k]!;
          mask[b * t + k] = 1;
        }
        // An empty row keeps one unmasked pad position, as the tuner does, so its mean pool is defined.
        if (n === 0) mask[b * t] = 1;
      });
      const idsT = tensors.tensor2d(ids, [batch.length, t], 'int32'); // [b, T]
      const maskT = tensors.tensor2d(mask, [batch.length, t], 'float32'); // [b, T]
      try {
        const input = { ids: idsT, mask: maskT };
        const { pooled, embedding } = engine && engine.accepts(input) ? await engine.forward(input) : encoder.forward(input); // [b, dim] each
        try {
          const data = (await embedding.data()) as Float32Array;
          const dim = embedding.shape[1];
          batch.forEach((row, b) => (out[row] = data.slice(b * dim, (b + 1) * dim)));
        } finally {
          pooled.dispose();
          embedding.dispose();
        }
      } finally {
        idsT.dispose();
        maskT.dispose();
      }
    }
    return out;
  }

  return {
    id: backbone.id,
    dim: encoder.hidden,
    maxLength,
    tokenizer,
    stats,
    async embedIds(rows) {
      const keys = rows.map((r) => r.join(','));
      const out: Float32Array[] = new Array(rows.length);
      const missing = new Map<string, number[]>();
      keys.forEach((k, i) => {
        const hit = cacheSize > 0 ? cache.get(k) : undefined;
        if (hit) {
          out[i] = hit;
          stats.cached++;
        } else {
          const list = missing.get(k);
          if (list) list.push(i);
          else missing.set(k, [i]);
        }
      });
      const todo = [...missing.values()];
      const fresh = await run(todo.map((idx) => rows[idx[0]!]!));
      stats.rows += todo.length;
      todo.forEach((idx, j) => {
        for (const i of idx) out[i] = fresh[j]!;
        if (cacheSize > 0) {
          if (cache.size >= cacheSize) cache.delete(cache.keys().next().value!);
          cache.set(keys[idx[0]!]!, fresh[j]!);
        }
      });
      return out;
    },
  };
}

