import { z } from 'zod';
import { PandaError } from '@panda/core';
import type { Tokenizer } from '@panda/backbones';
import { entryNameSchema, functionSchema, NamedRegistry } from '@panda/datasets';
import { BUILTIN_VERBALIZERS } from './builtinVerbalizers.js';
import type { LabelWords } from './labelWords.js';
import type { SoftVerbalizerFitOptions } from './soft.js';

/** What a verbalizer's `scores` reads: the log-probabilities over the vocabulary at the mask (MLM heads), or a sentence embedding. */
export type VerbalizerInput = 'mask-log-probs' | 'embedding';

/** What a verbalizer kind builds a verbalizer from; each kind says which parts it needs. */
export interface VerbalizerContext {
  /** The label words per class (their labels are the verbalizer's classes). */
  words: LabelWords;
  /** Embeddings of each class's label views, [C][W] (the `embedding` kinds: similarity, soft). */
  wordEmbeddings?: ReadonlyArray<readonly Float32Array[]>;
  /** Tokenizer of a masked-LM backbone (`manual`). */
  tokenizer?: Pick<Tokenizer, 'encode'>;
  /** Options of the kind (manual: `multiToken`; soft: `scale`), validated by the kind. */
  options?: Record<string, unknown>;
}

/** Options of {@link Verbalizer.fit}: a short gradient budget (kinds may ignore what they do not use). */
export type VerbalizerFitOptions = SoftVerbalizerFitOptions;

/** A built verbalizer: one score per class from one model output. */
export interface Verbalizer {
  /** The kind that built it. */
  readonly kind: string;
  /** Class names, in label-index order. */
  readonly labels: readonly string[];
  /** [C] class scores of one model output (what the kind's `input` says); the largest wins. */
  scores(output: ArrayLike<number>): number[];
  /** Trains on labelled outputs, when the kind is trainable; returns the loss before and after. */
  fit?(outputs: readonly Float32Array[], labels: readonly number[], options?: VerbalizerFitOptions): { lossBefore: number; lossAfter: number };
}

/** A kind of verbalizer, registered by name with {@link registerVerbalizer}. */
export interface VerbalizerKind {
  name: string;
  description: string;
  input: VerbalizerInput;
  /**
   * Builds a verbalizer.
   * @throws PandaError `CONFIG_INVALID` when the context lacks what the kind needs or has invalid options.
   */
  create(context: VerbalizerContext): Verbalizer;
}

/** Validates a {@link VerbalizerKind} registration. */
export const verbalizerKindSchema = z
  .object({
    name: entryNameSchema,
    description: z.string().min(1),
    input: z.enum(['mask-log-probs', 'embedding']),
    create: functionSchema('create'),
  })
  .strict();

const VERBALIZERS = new NamedRegistry<VerbalizerKind>('verbalizer kind', { schema: verbalizerKindSchema, builtins: BUILTIN_VERBALIZERS });

/**
 * Adds a verbalizer kind.
 * @throws PandaError `CONFIG_INVALID` for an invalid definition or a name already registered.
 */
export function registerVerbalizer(kind: VerbalizerKind): Readonly<VerbalizerKind> {
  return VERBALIZERS.register(kind);
}

/**
 * The registered kind named `name`.
 * @throws PandaError `CONFIG_INVALID` listing the registered kinds.
 */
export function verbalizerKind(name: string): Readonly<VerbalizerKind> {
  return VERBALIZERS.get(name);
}

/** Every registered kind: the built-ins (manual, soft, similarity) first. */
export function listVerbalizers(): Array<Readonly<VerbalizerKind>> {
  return VERBALIZERS.list();
}

/**
 * Builds a verbalizer of the registered kind `name`.
 * @throws PandaError `CONFIG_INVALID` for an unregistered kind, or a context the kind cannot use.
 * @example createVerbalizer('soft', { words, wordEmbeddings }).scores(queryEmbedding)
 */
export function createVerbalizer(name: string, context: VerbalizerContext): Verbalizer {
  const verbalizer = verbalizerKind(name).create(context);
  if (verbalizer.labels.length !== context.words.labels.length) {
    throw new PandaError('INTERNAL', `verbalizer kind '${name}' built ${verbalizer.labels.length} classes for ${context.words.labels.length} labels`);
  }
  return verbalizer;
}
