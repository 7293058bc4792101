/**
 * `config.json` of a Hugging Face BERT or RoBERTa checkpoint, validated with zod.
 *
 * Only what the forward pass reads is checked; other keys (dropout rates, `transformers_version`,
 * `torch_dtype`, task labels …) pass through untouched. Anything this package cannot run exactly
 * (another model type or architecture class, relative position embeddings, a decoder with cross
 * attention) is refused with `ARCHITECTURE_UNSUPPORTED` rather than run approximately.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { PandaError } from '@panda/core';

/** The two encoder families this package runs. */
export type HfArch = 'bert' | 'roberta';

/** Activations Hugging Face BERT/RoBERTa configs name in `hidden_act`. */
export const HIDDEN_ACTS = ['gelu', 'gelu_new', 'gelu_pytorch_tanh', 'relu'] as const;
export type HiddenAct = (typeof HIDDEN_ACTS)[number];

/** Architecture classes whose checkpoints hold a BERT/RoBERTa encoder under the usual names. */
const HEADS = ['Model', 'ForMaskedLM', 'ForPreTraining', 'ForSequenceClassification', 'ForTokenClassification', 'ForMultipleChoice', 'ForQuestionAnswering', 'ForNextSentencePrediction'];
export const SUPPORTED_ARCHITECTURES: readonly string[] = [...HEADS.filter((h) => h !== 'ForPreTraining' && h !== 'ForNextSentencePrediction').map((h) => `Roberta${h}`), ...HEADS.map((h) => `Bert${h}`)];

const positiveInt = z.number().int().positive();

/** The raw `config.json` fields read here (snake_case as Hugging Face writes them). */
export const hfConfigSchema = z.looseObject({
  model_type: z.string().optional(),
  architectures: z.array(z.string()).min(1).optional(),
  vocab_size: positiveInt,
  hidden_size: positiveInt,
  num_hidden_layers: positiveInt,
  num_attention_heads: positiveInt,
  intermediate_size: positiveInt,
  hidden_act: z.string().default('gelu'),
  max_position_embeddings: positiveInt,
  type_vocab_size: positiveInt.default(2),
  layer_norm_eps: z.number().positive().default(1e-12),
  pad_token_id: z.number().int().nonnegative().nullable().optional(),
  position_embedding_type: z.string().default('absolute'),
  is_decoder: z.boolean().default(false),
  add_cross_attention: z.boolean().default(false),
  tie_word_embeddings: z.boolean().default(true),
});

/** The validated model description the loader and encoder use. */
export interface HfModelConfig {
  arch: HfArch;
  /** The architecture class named in `architectures[0]` (or derived from `model_type`). */
  architecture: string;
  /** True when the architecture class has a masked-LM head (`*ForMaskedLM`, `BertForPreTraining`). */
  expectsMlmHead: boolean;
  vocabSize: number;
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  hiddenAct: HiddenAct;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  layerNormEps: number;
  /** The padding id (RoBERTa: also its position `padding_idx`). */
  padTokenId: number;
  tieWordEmbeddings: boolean;
}

/**
 * Validates a parsed `config.json`.
 * @param source file name for messages
 * @throws `CONFIG_INVALID` for missing/ill-typed fields or inconsistent sizes;
 *   `ARCHITECTURE_UNSUPPORTED` for another model family, architecture class, position embedding
 *   type or a decoder.
 */
export function parseHfConfig(json: unknown, source = 'config.json'): HfModelConfig {
  const parsed = hfConfigSchema.safeParse(json);
  if (!parsed.success) {
    throw new PandaError('CONFIG_INVALID', `${source}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`, {
      details: { source, issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
    });
  }
  const c = parsed.data;
  const architecture = c.architectures?.[0];
  const unsupported = (what: string): never => {
    throw new PandaError('ARCHITECTURE_UNSUPPORTED', `${source}: ${what}; @panda/hf runs BERT and RoBERTa encoders (model_type 'bert' or 'roberta', e.g. BertForMaskedLM, RobertaModel; details.supported lists every class)`, {
      details: { source, modelType: c.model_type, architectures: c.architectures, supported: SUPPORTED_ARCHITECTURES },
    });
  };
  let arch: HfArch;
  if (c.model_type === 'bert' || c.model_type === 'roberta') arch = c.model_type;
  else if (c.model_type !== undefined) return unsupported(`model_type '${c.model_type}' is not supported`);
  else if (architecture?.startsWith('Roberta')) arch = 'roberta';
  else if (architecture?.startsWith('Bert')) arch = 'bert';
  else throw new PandaError('CONFIG_INVALID', `${source}: neither model_type nor architectures says which model this is`, { details: { source } });
  for (const a of c.architectures ?? []) {
    if (!SUPPORTED_ARCHITECTURES.includes(a)) unsupported(`architecture '${a}' is not supported`);
    if (!a.toLowerCase().startsWith(arch)) unsupported(`architecture '${a}' does not belong to model_type '${arch}'`);
  }
  if (c.position_embedding_type !== 'absolute') unsupported(`position_embedding_type '${c.position_embedding_type}' is not supported (only 'absolute')`);
  if (c.is_decoder || c.add_cross_attention) unsupported('decoder configurations (is_decoder / add_cross_attention) are not supported');
  if (!(HIDDEN_ACTS as readonly string[]).includes(c.hidden_act)) {
    unsupported(`hidden_act '${c.hidden_act}' is not supported (${HIDDEN_ACTS.join(', ')})`);
  }
  if (c.hidden_size % c.num_attention_heads !== 0) {
    throw new PandaError('CONFIG_INVALID', `${source}: hidden_size ${c.hidden_size} is not a multiple of num_attention_heads ${c.num_attention_heads}`, { details: { source } });
  }
  const padTokenId = c.pad_token_id ?? (arch === 'roberta' ? 1 : 0);
  if (padTokenId >= c.vocab_size) {
    throw new PandaError('CONFIG_INVALID', `${source}: pad_token_id ${padTokenId} is outside the vocabulary of ${c.vocab_size}`, { details: { source } });
  }
  if (arch === 'roberta' && padTokenId + 1 >= c.max_position_embeddings) {
    throw new PandaError('CONFIG_INVALID', `${source}: max_position_embeddings ${c.max_position_embeddings} leaves no positions after RoBERTa's padding_idx ${padTokenId}`, { details: { source } });
  }
  const name = architecture ?? (arch === 'bert' ? 'BertModel' : 'RobertaModel');
  return {
    arch,
    architecture: name,
    expectsMlmHead: name.endsWith('ForMaskedLM') || name === 'BertForPreTraining',
    vocabSize: c.vocab_size,
    hidden: c.hidden_size,
    layers: c.num_hidden_layers,
    heads: c.num_attention_heads,
    intermediate: c.intermediate_size,
    hiddenAct: c.hidden_act as HiddenAct,
    maxPositionEmbeddings: c.max_position_embeddings,
    typeVocabSize: c.type_vocab_size,
    layerNormEps: c.layer_norm_eps,
    padTokenId,
    tieWordEmbeddings: c.tie_word_embeddings,
  };
}

/**
 * Reads and validates `<dir>/config.json`.
 * @throws `MODEL_NOT_FOUND` when the file is missing; `CONFIG_INVALID` when it is not JSON; see
 *   {@link parseHfConfig}.
 */
export async function readHfConfig(dir: string): Promise<HfModelConfig> {
  const path = join(dir, 'config.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new PandaError('MODEL_NOT_FOUND', `no Hugging Face config at ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err, details: { path } });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new PandaError('CONFIG_INVALID', `${path} is not valid JSON: ${(err as Error).message}`, { cause: err, details: { path } });
  }
  return parseHfConfig(json, path);
}
