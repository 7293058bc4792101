import { PandaError } from '@panda/core';
import type { TrainableSentenceEncoder } from '@panda/backbones';
import type { TuneConfig } from '../../config.js';
import type { ParamGroup } from '../../optim/adamW.js';
import type { MethodInstance, TuningMethod } from '../method.js';
import { fixedInjection } from '../fixedInjection.js';

/**
 * Model tuning (the full fine-tuning baseline): every encoder weight trains, on a trainable copy
 * (the backbone's own encoder is never changed). Parameters `encoder/<name>`.
 */
export const modelTuning: TuningMethod = {
  name: 'model-tuning',
  description: 'every encoder weight + the head train (full fine-tuning baseline)',
  configKeys: ['modelLr'],
  check({ backbone }) {
    if (!backbone.encoder.trainableCopy) throw new PandaError('CONFIG_INVALID', `backbone ${backbone.id} cannot make a trainable copy of its weights: model-tuning is not available on it`);
  },
  create: ({ backbone }) => tuned(backbone.encoder.trainableCopy!(), true),
  load({ backbone, weights }) {
    if (!backbone.encoder.trainableCopy) throw new PandaError('CONFIG_INVALID', `backbone ${backbone.id} cannot hold tuned weights`);
    const copy = backbone.encoder.trainableCopy();
    try {
      for (const [name, variable] of Object.entries(copy.variables())) {
        const saved = weights[`encoder/${name}`];
        if (!saved || saved.shape.join() !== variable.shape.join()) {
          throw new PandaError('SHAPE_MISMATCH', `encoder weight '${name}' is ${saved ? `[${saved.shape}]` : 'missing'}, expected [${variable.shape}]`);
        }
        variable.assign(saved);
      }
    } catch (err) {
      copy.dispose();
      throw err;
    }
    return tuned(copy, false);
  },
};

function tuned(copy: TrainableSentenceEncoder, trainable: boolean): MethodInstance {
  const injection = fixedInjection(copy, {});
  return {
    name: modelTuning.name,
    promptPositions: 0,
    dropout: 0,
    frozenFeatures: false,
    paramGroups: (config) => (trainable ? encoderGroups(copy, config) : []),
    training: () => injection,
    inference: () => injection,
    adapterInfo: () => ({ promptLength: 0 }),
    dispose: () => copy.dispose(),
  };
}

/**
 * The optimiser groups: every encoder weight under `encoder/<name>` at `modelLr`; matrices
 * (embeddings, dense kernels) with the configured decoupled weight decay, vectors (biases,
 * layer-norm scales and shifts) without, as in BERT's fine-tuning recipe.
 */
function encoderGroups(copy: TrainableSentenceEncoder, config: TuneConfig): ParamGroup[] {
  const named = Object.entries(copy.variables()).map(([name, variable]) => ({ key: `encoder/${name}`, variable }));
  return [
    { params: named.filter((p) => p.variable.rank >= 2), lr: config.modelLr, weightDecay: config.weightDecay },
    { params: named.filter((p) => p.variable.rank < 2), lr: config.modelLr, weightDecay: 0 },
  ];
}
