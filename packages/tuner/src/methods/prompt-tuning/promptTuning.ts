import * as tf from '@tensorflow/tfjs-core';
import { PandaError } from '@panda/core';
import { SoftPrompt, type SentenceEncoder } from '@panda/backbones';
import type { MethodInstance, TuningMethod } from '../method.js';
import { fixedInjection } from '../fixedInjection.js';
import { promptTableInstance } from '../promptTable.js';

/**
 * Prompt tuning (Lester et al., 2021): m trainable rows in front of the token vectors of a frozen
 * encoder, plus the head. Parameter `prompt` [m, embedDim].
 */
export const promptTuning: TuningMethod = {
  name: 'prompt-tuning',
  description: 'm soft prompt rows in front of the tokens + a linear head train; the encoder stays frozen',
  configKeys: ['promptLength', 'promptInit'],
  transferKeys: (w) => (w.prompt ? ['prompt'] : []),
  check({ backbone, config }) {
    if (config.promptLength >= backbone.encoder.maxPositions) {
      throw new PandaError('PROMPT_TOO_LONG', `a prompt of ${config.promptLength} rows leaves no room for text in the model's ${backbone.encoder.maxPositions} positions`);
    }
  },
  create({ backbone, config, rng }) {
    const table = backbone.tokenInputTable(); // [V, embedDim]
    try {
      const prompt = new SoftPrompt({ length: config.promptLength, width: backbone.encoder.embedDim, init: config.promptInit, rng: rng.fork('prompt'), tokenTable: table, sampleIds: backbone.sampleIds });
      return promptRows(promptTuning, backbone.encoder, prompt.rows, () => prompt.dispose(), [{ key: 'prompt', variable: prompt.rows }]);
    } finally {
      table.dispose();
    }
  },
  load({ backbone, weights }) {
    const prompt = weights.prompt;
    if (!prompt || prompt.rank !== 2 || prompt.shape[1] !== backbone.encoder.embedDim) {
      throw new PandaError('SHAPE_MISMATCH', `a prompt-tuning run needs a prompt [m, ${backbone.encoder.embedDim}], it has ${prompt ? `[${prompt.shape}]` : 'none'}`);
    }
    const rows = prompt.clone() as tf.Tensor2D;
    return promptRows(promptTuning, backbone.encoder, rows, () => rows.dispose(), []);
  },
};

/** An instance whose rows [m, embedDim] go in front of the tokens, trainable or fixed. */
function promptRows(method: TuningMethod, encoder: SentenceEncoder, rows: tf.Tensor2D, free: () => void, params: Array<{ key: string; variable: tf.Variable }>): MethodInstance {
  return promptTableInstance(method.name, rows, fixedInjection(encoder, { prompt: rows }), rows.shape[0], free, params);
}
