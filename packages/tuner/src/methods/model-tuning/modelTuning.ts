import type * as tf from '@tensorflow/tfjs-core';
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
    return tuned(tunedCopy(backbone.encoder.trainableCopy(), weights), false);
  },
};

/**
 * A run's tuned encoder weights (`encoder/<name>`) put into a fresh trainable copy: every variable
 * the `pick` filter keeps (default: all) must be in the run with its shape. The copy is disposed
 * when one is missing or misshapen. For methods that train (some of) the encoder's weights.
 * @throws `SHAPE_MISMATCH` naming the weight
 */
export function tunedCopy(copy: TrainableSentenceEncoder, weights: Readonly<Record<string, tf.Tensor>>, pick: (name: string, variable: tf.Variable) => boolean = () => true): TrainableSentenceEncoder {
  try {
    for (const [name, variable] of Object.entries(copy.variables())) {
      if (!pick(name, variable)) continue;
      const saved = weights[`encoder/${name}`];
      if (!saved || saved.shape.join() !== variable.shape.join()) {
        throw new PandaError('SHAPE_MISMATCH', `encoder weight '${name}' is ${saved ? `[${saved.shape}]` : 'missing'} in the run, expected [${variable.shape}]`);
      }
      variable.assign(saved);
    }
  } catch (err) {
    copy.dispose();
    throw err;
  }
  return copy;
}

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
