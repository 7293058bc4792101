/**
 * `bias-only`: BitFit (Ben Zaken et al., ACL 2022) as a third-party tuning method. Only the
 * encoder's bias vectors train (attention, feed-forward and layer-norm shifts: a few thousand
 * numbers), on a trainable copy of the encoder, plus the head. A run saves just those vectors
 * (`encoder/<name>`), and loading puts them into a fresh copy of the frozen weights.
 */
import * as tf from '@tensorflow/tfjs-core';
import { PandaError } from '@panda/core';
import type { TrainableSentenceEncoder } from '@panda/backbones';
import { fixedInjection, tunedCopy, type MethodInstance, type ParamGroup, type TuningMethod } from '@panda/tuner';

/** A bias: a vector that shifts (not a layer-norm scale, not a fixed buffer such as timescales). */
export function isBias(name: string, variable: tf.Variable): boolean {
  return variable.rank === 1 && !/scale|gamma|timescale/i.test(name);
}

const biasesOf = (copy: TrainableSentenceEncoder) => Object.entries(copy.variables()).filter(([name, v]) => isBias(name, v));

export const biasOnly: TuningMethod = {
  name: 'bias-only',
  description: "BitFit: only the encoder's bias vectors and the head train (a plugin method)",
  configKeys: ['modelLr'],
  check({ backbone }) {
    if (!backbone.encoder.trainableCopy) throw new PandaError('CONFIG_INVALID', `bias-only needs a backbone that can make a trainable copy of its weights; ${backbone.id} cannot`);
  },
  create: ({ backbone }) => instance(backbone.encoder.trainableCopy!(), true),
  load({ backbone, weights }) {
    if (!backbone.encoder.trainableCopy) throw new PandaError('CONFIG_INVALID', `bias-only runs need a backbone with trainable copies; ${backbone.id} has none`);
    // The frozen weights, with the run's biases put in (the tuner checks each one's shape).
    return instance(tunedCopy(backbone.encoder.trainableCopy(), weights, isBias), false);
  },
};

function instance(copy: TrainableSentenceEncoder, trainable: boolean): MethodInstance {
  const injection = fixedInjection(copy, {});
  return {
    name: biasOnly.name,
    promptPositions: 0,
    dropout: 0,
    frozenFeatures: false,
    // Biases are vectors: no weight decay (as for every vector in BERT's fine-tuning recipe).
    paramGroups: (config): ParamGroup[] => (trainable ? [{ params: biasesOf(copy).map(([name, variable]) => ({ key: `encoder/${name}`, variable })), lr: config.modelLr, weightDecay: 0 }] : []),
    training: () => injection,
    inference: () => injection,
    adapterInfo: () => ({ promptLength: 0, biases: biasesOf(copy).length }),
    dispose: () => copy.dispose(),
  };
}
