import { z } from 'zod';
import { PandaError } from '@panda/core';
import { ManualVerbalizer } from './manual.js';
import { meanCosine } from './similarity.js';
import { SoftVerbalizer } from './soft.js';
import type { VerbalizerContext, VerbalizerKind } from './verbalizerRegistry.js';

/** The kind's options, validated; `CONFIG_INVALID` naming the first problem. */
function kindOptions<S extends z.ZodType>(kind: string, schema: S, context: VerbalizerContext): z.infer<S> {
  const parsed = schema.safeParse(context.options ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new PandaError('CONFIG_INVALID', `verbalizer '${kind}' options: ${issue.path.join('.') || '(root)'}: ${issue.message}`, { details: { issues: parsed.error.issues } });
  }
  return parsed.data;
}

/** A part of the context the kind needs; `CONFIG_INVALID` when it is missing. */
function needs<K extends keyof VerbalizerContext>(kind: string, context: VerbalizerContext, key: K, what: string): NonNullable<VerbalizerContext[K]> {
  const value = context[key];
  if (value === undefined || value === null) throw new PandaError('CONFIG_INVALID', `verbalizer '${kind}' needs ${what} (context.${String(key)})`);
  return value as NonNullable<VerbalizerContext[K]>;
}

const f32 = (v: ArrayLike<number>): Float32Array => (v instanceof Float32Array ? v : Float32Array.from(v));

const manual: VerbalizerKind = {
  name: 'manual',
  description: 'hand-written label words scored by an MLM head: log-mean-exp of the words\u2019 log-probabilities at the mask',
  input: 'mask-log-probs',
  create(context) {
    const { multiToken } = kindOptions('manual', z.object({ multiToken: z.enum(['first', 'mean', 'max', 'error']).optional() }).strict(), context);
    const v = new ManualVerbalizer(context.words, needs('manual', context, 'tokenizer', 'the tokenizer of the MLM backbone'), multiToken ? { multiToken } : {});
    return { kind: 'manual', labels: v.labels, scores: (logProbs) => v.scores(logProbs) };
  },
};

const soft: VerbalizerKind = {
  name: 'soft',
  description: 'one trainable vector per class, initialised from the label-word embeddings (WARP / OpenPrompt SoftVerbalizer)',
  input: 'embedding',
  create(context) {
    const { scale } = kindOptions('soft', z.object({ scale: z.number().positive().optional() }).strict(), context);
    const v = SoftVerbalizer.fromWordEmbeddings(context.words.labels, needs('soft', context, 'wordEmbeddings', 'the label-word embeddings'), scale);
    return { kind: 'soft', labels: v.labels, scores: (query) => v.logits(f32(query)), fit: (queries, labels, options) => v.fit(queries, labels, options) };
  },
};

const similarity: VerbalizerKind = {
  name: 'similarity',
  description: 'zero-shot: mean cosine of the query embedding and each class\u2019s label-word embeddings (uncalibrated)',
  input: 'embedding',
  create(context) {
    kindOptions('similarity', z.object({}).strict(), context);
    const keys = needs('similarity', context, 'wordEmbeddings', 'the label-word embeddings');
    if (keys.length !== context.words.labels.length) throw new PandaError('VERBALIZER_INVALID', `similarity verbalizer: ${keys.length} word lists for ${context.words.labels.length} labels`);
    return { kind: 'similarity', labels: [...context.words.labels], scores: (query) => keys.map((list) => meanCosine(query, list)) };
  },
};

/** The built-in kinds: manual, soft, similarity. */
export const BUILTIN_VERBALIZERS: readonly VerbalizerKind[] = [manual, soft, similarity];
