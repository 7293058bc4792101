import * as tf from '@tensorflow/tfjs-core';
import { PandaError } from '@panda/core';
import { DeepPrefix, measureKeyValueStd, prefixDropout, type SentenceEncoder } from '@panda/backbones';
import type { Injection, MethodInstance, TuningMethod } from '../method.js';
import { fixedInjection } from '../fixedInjection.js';
import { prefixInfoOf } from './prefixInfo.js';

/**
 * Deep prompt tuning (P-tuning v2, Liu et al. 2022): a trainable key/value prefix of m rows at every
 * attention layer of a frozen encoder, with per-example prefix dropout and optional
 * reparameterisation. Parameters `prefix` [m, 2·Σ d_l], or with reparameterisation the raw
 * `prefix/embedding`, `prefix/w1`, `prefix/b1`, `prefix/w2`, `prefix/b2` (the folded `prefix` table
 * is saved beside them). Runs record the layout as `panda_adapter.json` `prefix`.
 */
export const deepPromptTuning: TuningMethod = {
  name: 'deep-prompt-tuning',
  description: 'a key/value prefix of m rows at every attention layer (P-tuning v2) + the head train; the encoder stays frozen',
  configKeys: ['promptLength', 'prefixInit', 'prefixDropout', 'prefixProjection', 'prefixHidden'],
  // With reparameterisation the raw parameters transfer; the folded table is not a parameter then.
  transferKeys: (w) => (w['prefix/embedding'] ? Object.keys(w).filter((k) => k.startsWith('prefix/')) : w.prefix ? ['prefix'] : []),
  check({ backbone, config }) {
    const layout = backbone.encoder.prefixLayout;
    if (!layout) throw new PandaError('CONFIG_INVALID', `backbone ${backbone.id} has no per-layer key/value injection point: deep-prompt-tuning is not available on it`);
    if (layout.takesPositions && config.promptLength >= backbone.encoder.maxPositions) {
      throw new PandaError('PROMPT_TOO_LONG', `a prompt of ${config.promptLength} rows leaves no room for text in the model's ${backbone.encoder.maxPositions} positions`);
    }
  },
  create({ backbone, config, rng }) {
    const { encoder } = backbone;
    const keyValueStd = config.prefixInit === 'matched' ? measureKeyValueStd(encoder, backbone.sampleIds) : undefined;
    const prefix = new DeepPrefix({
      length: config.promptLength,
      layout: encoder.prefixLayout!,
      rng: rng.fork('prefix'),
      init: config.prefixInit,
      ...(keyValueStd ? { keyValueStd } : {}),
      projection: config.prefixProjection,
      hidden: config.prefixHidden,
      embedDim: encoder.hidden,
      dropout: config.prefixDropout,
    });
    const info = prefixInfoOf(prefix, keyValueStd);
    return {
      name: deepPromptTuning.name,
      promptPositions: positions(encoder, prefix.length),
      dropout: prefix.dropout,
      frozenFeatures: false,
      paramGroups: (c) => [{ params: prefix.params.map((p) => ({ key: p.key, variable: p.variable })), lr: c.lr, weightDecay: 0 }],
      training: (seeds) => ({ encoder, input: () => ({ prefix: prefix.trainingTable(seeds) }), dispose: () => {} }),
      inference: () => {
        const table = prefix.fold(); // [m, 2·Σ d_l]
        return fixedInjection(encoder, { prefix: table }, () => table.dispose());
      },
      ...(prefix.projection ? { derivedWeights: () => ({ prefix: prefix.fold() }) } : {}),
      adapterInfo: () => ({ promptLength: prefix.length, prefix: info }),
      dispose: () => prefix.dispose(),
    };
  },
  load({ backbone, weights, adapter, dropout }) {
    const { encoder } = backbone;
    const prefix = weights.prefix;
    if (!encoder.prefixLayout) throw new PandaError('CONFIG_INVALID', `a deep-prompt-tuning run needs a backbone with a key/value injection point; ${backbone.id} has none`);
    if (!prefix || prefix.rank !== 2) throw new PandaError('SHAPE_MISMATCH', 'a deep-prompt-tuning run needs its folded prefix table [m, 2·Σ d_l]');
    const table = prefix.clone() as tf.Tensor2D;
    const rate = dropout ? Number((adapter.prefix as { dropout?: number } | undefined)?.dropout ?? 0) : 0;
    return loadedPrefix(encoder, table, rate, adapter.prefix as Record<string, unknown> | undefined);
  },
};

/** Positions a prefix of `m` rows takes from the text: m where the model gives prefix rows position ids. */
function positions(encoder: SentenceEncoder, m: number): number {
  return encoder.prefixLayout?.takesPositions ? m : 0;
}

/** A saved run's fixed prefix table, with its training dropout (teachers) when `rate` > 0. */
function loadedPrefix(encoder: SentenceEncoder, table: tf.Tensor2D, rate: number, info: Record<string, unknown> | undefined): MethodInstance {
  const still = fixedInjection(encoder, { prefix: table });
  const dropped = (seeds: readonly number[]): Injection => ({ encoder, input: () => ({ prefix: prefixDropout(table, seeds, rate) }), dispose: () => {} });
  return {
    name: deepPromptTuning.name,
    promptPositions: positions(encoder, table.shape[0]),
    dropout: rate,
    frozenFeatures: false,
    paramGroups: () => [],
    training: (seeds) => (rate > 0 ? dropped(seeds) : still),
    inference: () => still,
    adapterInfo: () => ({ promptLength: table.shape[0], ...(info ? { prefix: info } : {}) }),
    dispose: () => tf.dispose(table),
  };
}
