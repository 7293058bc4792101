import * as tf from '@tensorflow/tfjs-core';
import { PandaError } from '@panda/core';
import { SoftPrompt, type SentenceEncoder } from '@panda/backbones';
import { initialSoftRows } from '@panda/templates';
import type { Injection, MethodInstance, TuningMethod } from '../method.js';
import { promptTableInstance } from '../promptTable.js';

/**
 * Soft tokens inside the text: a template such as `{soft:2} {text} {soft:"It was"} {mask}.` places
 * its R soft tokens among the hard tokens; their rows [R, embedDim] train in place (started from
 * their init words), nothing goes in front. Saved as `prompt` [R, embedDim]; a run records
 * `prompt-tuning` as its method with its template (the rows are a prompt table placed by it).
 */
export const templateSoftTokens: TuningMethod = {
  name: 'template-soft-tokens',
  description: "the {soft} tokens of the run's template train in place, between its hard tokens (chosen automatically for prompt-tuning with such a template)",
  configKeys: ['promptLength', 'promptInit'],
  check({ backbone, template }) {
    if (!template || template.layout.rows === 0) throw new PandaError('CONFIG_INVALID', 'template-soft-tokens needs a template with {soft} tokens');
    if (!backbone.encoder.softTokens) {
      throw new PandaError('CONFIG_INVALID', `backbone ${backbone.id} cannot take soft tokens inside the text; use a template without {soft} (the prompt rows then go in front)`);
    }
  },
  async create({ backbone, config, rng, template }) {
    const layout = template!.layout;
    const table = backbone.tokenInputTable(); // [V, embedDim]
    let prompt: SoftPrompt;
    try {
      prompt = new SoftPrompt({ length: layout.rows, width: backbone.encoder.embedDim, init: config.promptInit, rng: rng.fork('prompt'), tokenTable: table, sampleIds: backbone.sampleIds });
    } finally {
      table.dispose();
    }
    // Each soft token starts from its init words (the others from random vocabulary rows).
    const rows = await initialSoftRows(layout, backbone, { seed: `${config.seed}/template-soft` });
    tf.tidy(() => prompt.rows.assign(tf.tensor2d(rows.map((r) => Array.from(r)))));
    return softRows(backbone.encoder, prompt.rows, () => prompt.dispose(), [{ key: 'prompt', variable: prompt.rows }]);
  },
  load({ backbone, weights, template }) {
    const rows = weights.prompt;
    const want = template?.layout.rows ?? 0;
    if (!rows || rows.shape.join() !== `${want},${backbone.encoder.embedDim}`) {
      throw new PandaError('SHAPE_MISMATCH', `a template run needs a prompt [${want}, ${backbone.encoder.embedDim}] (one row per soft token), it has ${rows ? `[${rows.shape}]` : 'none'}`);
    }
    const copy = rows.clone() as tf.Tensor2D;
    return softRows(backbone.encoder, copy, () => copy.dispose(), []);
  },
};

function softRows(encoder: SentenceEncoder, rows: tf.Tensor2D, free: () => void, params: Array<{ key: string; variable: tf.Variable }>): MethodInstance {
  const injection: Injection = {
    encoder,
    input: ({ soft }) => {
      if (!soft) throw new PandaError('INTERNAL', 'a template-soft-tokens batch has no soft-token index');
      return { soft: { rows, index: soft } };
    },
    dispose: () => {},
  };
  return promptTableInstance('prompt-tuning', rows, injection, 0, free, params);
}
