import type * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@panda/core';
import type { Backbone, EncoderInput, SentenceEncoder } from '@panda/backbones';
import type { TuneConfig } from '../config.js';
import type { ParamGroup } from '../optim/adamW.js';
import type { TemplateRendering } from '../data/batches.js';

/**
 * A tuning method, in the spirit of PEFT's `tuners/`: one module per method (prompt tuning, deep
 * prompt tuning, model tuning, a linear probe, soft tokens inside a template, or a third party's),
 * owning which options it reads, its trainable parameters, how they enter the backbone, and how a
 * saved run of it is loaded. Register a new one with `registerMethod`; the trainer, evaluation,
 * teachers, the service and task embeddings then run it through the one adapted-model path.
 */
export interface TuningMethod {
  /** The name runs record (`panda_adapter.json` `method`) and `--method` takes. */
  readonly name: string;
  /** One line for `--help` and listings. */
  readonly description: string;
  /**
   * Options of the tune config this method reads beyond the common ones (e.g. `prefixDropout`):
   * they enter the checkpoint fingerprint of this method's runs only.
   */
  readonly configKeys: readonly (keyof TuneConfig)[];
  /**
   * Keys of a saved run's weights that prompt transfer starts a new run of this method from
   * (never the head); absent when the method cannot be a transfer source.
   */
  transferKeys?(weights: Readonly<Record<string, tf.Tensor>>): string[];
  /** Refuses a backbone or config the method cannot run (`CONFIG_INVALID`), before anything is built. */
  check?(setup: Omit<MethodSetup, 'rng'>): void;
  /** A fresh, trainable instance for a run. */
  create(setup: MethodSetup): MethodInstance | Promise<MethodInstance>;
  /** A saved run's instance, for inference or as a teacher; it copies the tensors it keeps. */
  load(setup: MethodLoadSetup): MethodInstance;
}

/** What a method is created from. */
export interface MethodSetup {
  backbone: Backbone;
  config: TuneConfig;
  /** The run's random stream: a method forks its own labelled stream from it. */
  rng: Rng;
  /** The template every input is rendered through, if the run has one. */
  template?: TemplateRendering;
}

/** What a saved run's method is loaded from. */
export interface MethodLoadSetup {
  backbone: Backbone;
  /** The run's saved tensors by key; the caller keeps ownership. */
  weights: Readonly<Record<string, tf.Tensor>>;
  /** The run's `panda_adapter.json` fields (promptLength, prefix info, ...). */
  adapter: Readonly<Record<string, unknown>>;
  template?: TemplateRendering;
  /** Apply the run's own training dropout when a training injection is asked for (teachers). */
  dropout?: boolean;
}

/**
 * How a method changes one forward pass of the backbone: which encoder runs (the frozen one, or a
 * tuned copy) and what it adds to a padded batch's encoder input (a prompt, a prefix, soft tokens).
 */
export interface Injection {
  readonly encoder: SentenceEncoder;
  /**
   * The method's part of the encoder input for one padded batch (call inside tf.tidy or
   * tf.variableGrads: tensors it makes belong to that scope).
   * @param batch the batch's template soft-token index [b, T], when the set has one
   */
  input(batch: { soft?: tf.Tensor2D }): Partial<EncoderInput>;
  /** Frees what the injection holds (a folded table); the method's own parameters stay. */
  dispose(): void;
}

/** A method bound to a backbone: its parameters (trainable, or loaded) and its injections. */
export interface MethodInstance {
  readonly name: string;
  /** Token positions the method's rows take from the text (a soft prompt's; a positioned prefix's). */
  readonly promptPositions: number;
  /** Training dropout of the method (> 0: a training injection draws one mask per example seed). */
  readonly dropout: number;
  /** True when the features never change in training (a linear probe): they can be computed once. */
  readonly frozenFeatures: boolean;
  /** Trainable parameters with stable keys in optimiser groups (empty for a frozen method). */
  paramGroups(config: TuneConfig): ParamGroup[];
  /**
   * The injection of a training step, differentiable with respect to the parameters (call inside
   * tf.variableGrads); dropout uses `seeds`, one 31-bit seed per example of the batch.
   */
  training(seeds: readonly number[]): Injection;
  /** The injection for inference (no dropout, tables folded once); the caller disposes it. */
  inference(): Injection;
  /**
   * Weights saved beside the trained parameters that are derived from them (deep prompts with
   * reparameterisation: the folded `prefix` table). The caller owns them.
   */
  derivedWeights?(): Record<string, tf.Tensor>;
  /** Fields for `panda_adapter.json` (e.g. the prefix layout). */
  adapterInfo(): Record<string, unknown>;
  dispose(): void;
}
