/**
 * The masked-LM head. BERT (`cls.predictions`): dense → act(hidden_act) → LayerNorm → decoder.
 * RoBERTa (`lm_head`): dense → GELU (erf; RobertaLMHead always uses it) → layer_norm → decoder. The
 * decoder is the word-embedding table (tied) plus the head's own bias. Inference only (no frozen
 * transposes kept for gradients).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { HfModelConfig } from '../config/hfConfig.js';
import { activation, geluErf, layerNorm } from './ops.js';
import type { MlmHeadWeights } from './weights.js';

export class MlmHead {
  private readonly act: <T extends tf.Tensor>(x: T) => T;

  constructor(
    private readonly w: MlmHeadWeights,
    private readonly config: HfModelConfig,
  ) {
    this.act = config.arch === 'roberta' ? geluErf : activation(config.hiddenAct);
  }

  /** Vocabulary size of the logits. */
  get vocabSize(): number {
    return this.w.bias.shape[0];
  }

  /**
   * @param h [N, H] last hidden states
   * @returns logits [N, V] (call inside tf.tidy)
   */
  apply(h: tf.Tensor2D): tf.Tensor2D {
    const d = this.act(tf.add(tf.matMul(h, this.w.dense.w), this.w.dense.b) as tf.Tensor2D); // [N, H]
    const n = layerNorm(d, this.w.ln, this.config.layerNormEps); // [N, H]
    return tf.add(tf.matMul(n, this.w.decoderT), this.w.bias) as tf.Tensor2D; // [N, V]
  }
}
