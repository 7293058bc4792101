import { PandaError } from '@panda/core';
import type { Backbone } from '@panda/backbones';
import { sample, type Example } from '@panda/datasets';
import type { TuneConfig } from '../config.js';
import type { EncodedSet, TemplateRendering } from '../data/batches.js';
import type { TuningMethod } from '../methods/method.js';
import { resolveMethod } from '../methods/registry.js';
import { resolvePairEncoding, templateRendering, type InputEncoding } from '../model/inputEncoding.js';
import type { AdaptedModel } from '../model/adaptedModel.js';
import type { Objective } from '../eval/evaluate.js';

/** What a run's data looks like to the trainer (see `TuneData`). */
export interface RunData {
  train: readonly Example[];
  dev: readonly Example[];
  test?: readonly Example[];
  labels: readonly string[];
  objective?: Objective;
}

/** The method module, template and input encoding of a run, checked before anything is built. */
export interface RunPlan {
  method: TuningMethod;
  template?: TemplateRendering;
  encoding: InputEncoding;
  objective: Objective;
  /** True when some training example has a second text. */
  pairs: boolean;
}

/**
 * Resolves and checks what a run will do: its method (a template's soft tokens train in place),
 * its input encoding (the backbone's pair encoding unless one is asked for), and its data (non-empty
 * splits, labels inside the classes or finite regression targets).
 * @throws PandaError `CONFIG_INVALID`, `PROMPT_TOO_LONG`, `LABEL_UNKNOWN`.
 */
export function planRun(backbone: Backbone, config: TuneConfig, data: RunData, options: { distill: boolean }): RunPlan {
  const template = config.template !== undefined ? templateRendering(config.template, backbone) : undefined;
  const softRows = template?.layout.rows ?? 0;
  if (softRows > 0 && config.method !== 'prompt-tuning') {
    throw new PandaError('CONFIG_INVALID', `the template has ${softRows} soft token row(s); soft tokens inside a template train with prompt-tuning, not ${config.method} (write the template without {soft} for this method)`);
  }
  const method = resolveMethod(config.method, softRows);
  method.check?.({ backbone, config, ...(template ? { template } : {}) });
  if (softRows > 0 && options.distill) throw new PandaError('CONFIG_INVALID', 'distillation with soft tokens inside a template is not supported: teachers run with prompt rows in front');
  const objective = data.objective ?? 'classification';
  checkData(data, objective);
  if (config.gradAccumulation > config.batchSize) {
    throw new PandaError('CONFIG_INVALID', `gradAccumulation ${config.gradAccumulation} is larger than batchSize ${config.batchSize}`);
  }
  const pairs = data.train.some((e) => e.textB !== undefined);
  const encoding: InputEncoding = {
    pairs: resolvePairEncoding(backbone, config.pairEncoding, template !== undefined),
    ...(template ? { template } : {}),
    ...(config.maxSeqLength ? { maxSeqLength: config.maxSeqLength } : {}),
  };
  return { method, ...(template ? { template } : {}), encoding, objective, pairs };
}

function checkData(data: RunData, objective: Objective): void {
  if (data.train.length === 0) throw new PandaError('CONFIG_INVALID', 'the training set is empty');
  if (data.dev.length === 0) throw new PandaError('CONFIG_INVALID', 'the dev set is empty');
  if (objective === 'classification' && data.labels.length < 1) throw new PandaError('CONFIG_INVALID', 'a classification run needs at least one label');
  for (const [split, xs] of [['train', data.train], ['dev', data.dev], ['test', data.test ?? []]] as const) {
    if (objective === 'regression') {
      const bad = xs.find((e) => !Number.isFinite(e.label));
      if (bad) throw new PandaError('LABEL_UNKNOWN', `${split} example ${bad.id} has target ${bad.label}; a regression target must be a finite number`);
      continue;
    }
    const bad = xs.find((e) => !Number.isInteger(e.label) || e.label < 0 || e.label >= data.labels.length);
    if (bad) throw new PandaError('LABEL_UNKNOWN', `${split} example ${bad.id} has label ${bad.label}, outside the ${data.labels.length} classes (${data.labels.join(', ')})`);
  }
}

/** The examples a run uses: seeded samples of train and dev (the caps), and a validation set carved from train when asked. */
export interface PickedSplits {
  train: Example[];
  dev: Example[];
  /** Carved from the sampled training rows (`validationSplit`); selection and early stopping use it. */
  validation?: Example[];
}

/**
 * Seeded samples of train and dev (the caps); the test set is used whole. With `validationSplit`,
 * that many training rows (a fraction below 1, else a count) are moved, seeded, to a validation set;
 * the rest keep their order.
 * @throws PandaError `CONFIG_INVALID` when the validation split would leave no training row (or take none)
 */
export function sampleSplits(config: TuneConfig, data: RunData): PickedSplits {
  const train = config.maxTrainExamples ? sample(data.train, config.maxTrainExamples, `${config.seed}/train`) : [...data.train];
  const dev = config.maxEvalExamples ? sample(data.dev, config.maxEvalExamples, `${config.seed}/dev`) : [...data.dev];
  if (config.validationSplit === undefined) return { train, dev };
  const size = config.validationSplit < 1 ? Math.round(config.validationSplit * train.length) : Math.floor(config.validationSplit);
  if (size < 1 || size >= train.length) {
    throw new PandaError('CONFIG_INVALID', `validationSplit ${config.validationSplit} takes ${size} of the ${train.length} training rows; it must leave at least one row on each side`);
  }
  const validation = sample(train, size, `${config.seed}/validation`);
  const held = new Set(validation);
  return { train: train.filter((e) => !held.has(e)), dev, validation };
}

/** The run's sets, tokenized the way the model reads them. */
export interface RunSets {
  train: EncodedSet;
  dev: EncodedSet;
  validation?: EncodedSet;
  test?: EncodedSet;
}

export function encodeSets(model: AdaptedModel, picked: PickedSplits, test?: readonly Example[]): RunSets {
  return {
    train: model.encode(picked.train),
    dev: model.encode(picked.dev),
    ...(picked.validation ? { validation: model.encode(picked.validation) } : {}),
    ...(test ? { test: model.encode(test) } : {}),
  };
}
