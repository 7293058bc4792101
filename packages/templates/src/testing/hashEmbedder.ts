import type { TokenEmbedder } from '../embed/embedder.js';

/**
 * A deterministic stand-in for a sentence encoder in tests: a normalised bag of tokens (one
 * dimension per token id, modulo `dim`), so the cosine of two texts counts their shared tokens.
 * Counts the rows it embeds.
 */
export function hashEmbedder(tokenizer: TokenEmbedder['tokenizer'], options: { dim?: number; maxLength?: number } = {}): TokenEmbedder & { calls: number; rows: number } {
  const dim = options.dim ?? 256;
  const self = {
    id: 'hash',
    dim,
    maxLength: options.maxLength ?? 128,
    tokenizer,
    calls: 0,
    rows: 0,
    async embedIds(rows: ReadonlyArray<readonly number[]>): Promise<Float32Array[]> {
      self.calls++;
      self.rows += rows.length;
      return rows.map((r) => {
        const out = new Float32Array(dim);
        for (const id of r.slice(0, self.maxLength)) out[id % dim]! += 1;
        let n = 0;
        for (const x of out) n += x * x;
        n = Math.sqrt(n) || 1;
        return out.map((x) => x / n);
      });
    },
  };
  return self;
}

/** A word tokenizer (words and single punctuation marks) with a growing vocabulary (ids from 1; 0 pads). For tests only. */
export function wordTokenizer(): { encode(text: string): number[]; padId: number; vocabSize: number; vocab: Map<string, number> } {
  const vocab = new Map<string, number>();
  return {
    padId: 0,
    vocabSize: 1_000_000,
    vocab,
    encode(text: string): number[] {
      return (text.toLowerCase().match(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu) ?? []).map((w) => {
          let id = vocab.get(w);
          if (id === undefined) vocab.set(w, (id = vocab.size + 1));
        return id;
      });
    },
  };
}
