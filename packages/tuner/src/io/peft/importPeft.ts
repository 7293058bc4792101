import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { PandaError } from '@panda/core';
import { loadSafetensors } from '@panda/runtime';
import { adapterConfigSchema, type AdapterConfig } from '../loadRun.js';
import { RUN_FORMAT_VERSION, writeRunFiles } from '../saveRun.js';
import { isPeftConfig } from '../runFiles.js';
import { PANDA_CONFIG_METADATA, PEFT_CONFIG_FILE, PEFT_HEAD_BIAS, PEFT_HEAD_WEIGHT, peftConfigSchema, type PeftConfig } from './peftConfig.js';

const invalid = (msg: string) => new PandaError('CHECKPOINT_INVALID', msg);

/**
 * Reads a PEFT PROMPT_TUNING / PREFIX_TUNING adapter folder written by {@link exportPeft} and
 * writes it as a panda run folder that `loadRun` loads (same tensors, head back to [in, out]).
 * @throws CHECKPOINT_INVALID for a missing file, another peft_type, wrong shapes, or a folder without panda's metadata
 */
export async function importPeft(peftDir: string, outDir: string): Promise<{ files: string[]; adapter: AdapterConfig }> {
  const config = await readPeftConfig(peftDir);
  const file = join(peftDir, 'adapter_model.safetensors');
  const { tensors, metadata } = await loadSafetensors(file);
  try {
    const raw = metadata[PANDA_CONFIG_METADATA];
    if (raw === undefined) throw invalid(`${file}: no '${PANDA_CONFIG_METADATA}' metadata; only adapters written by panda export (panda export --format peft) can be imported (labels and prefix layout are unknown otherwise)`);
    const parsed = adapterConfigSchema.safeParse(JSON.parse(raw));
    if (!parsed.success) throw invalid(`${file}: panda metadata does not parse: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const { table, kernel, bias } = checkedTensors(file, config, tensors, parsed.data);
    const key = config.peft_type === 'PROMPT_TUNING' ? 'prompt' : 'prefix';
    const weights = { [key]: table, 'head/kernel': kernel, 'head/bias': bias };
    const adapter: AdapterConfig = { ...parsed.data, formatVersion: RUN_FORMAT_VERSION, tensors: Object.fromEntries(Object.entries(weights).map(([k, t]) => [k, t.shape])) };
    await mkdir(outDir, { recursive: true });
    const manifest = { formatVersion: RUN_FORMAT_VERSION, createdAt: new Date().toISOString(), task: adapter.task, backbone: adapter.backbone, importedFrom: { format: 'peft', dir: peftDir, peftType: config.peft_type } };
    try {
      const { files } = await writeRunFiles(outDir, weights, adapter, manifest);
      return { files, adapter };
    } finally {
      kernel.dispose();
    }
  } catch (err) {
    if (err instanceof SyntaxError) throw invalid(`${file}: panda metadata is not valid JSON`);
    throw err;
  } finally {
    tf.dispose(tensors);
  }
}

async function readPeftConfig(dir: string): Promise<PeftConfig> {
  const path = join(dir, PEFT_CONFIG_FILE);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new PandaError('CHECKPOINT_INVALID', `${path}: cannot read a PEFT adapter config (${(err as Error).message})`, { cause: err });
  }
  const type = (json as { peft_type?: unknown } | null)?.peft_type;
  if (!isPeftConfig(json)) throw invalid(`${path}: no peft_type, so not a PEFT adapter config (a panda run of 0.1 kept its own config under this name; such a folder is already a run: \`panda eval\`/\`predict\` read it as it is)`);
  if (type !== 'PROMPT_TUNING' && type !== 'PREFIX_TUNING') throw invalid(`${path}: peft_type ${JSON.stringify(type)} is not supported (panda imports PROMPT_TUNING and PREFIX_TUNING)`);
  const parsed = peftConfigSchema.safeParse(json);
  if (!parsed.success) throw invalid(`${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

function checkedTensors(file: string, c: PeftConfig, t: Record<string, tf.Tensor>, adapter: AdapterConfig): { table: tf.Tensor; kernel: tf.Tensor; bias: tf.Tensor } {
  const table = t['prompt_embeddings'];
  const weight = t[PEFT_HEAD_WEIGHT];
  const bias = t[PEFT_HEAD_BIAS];
  if (!table || !weight || !bias) throw invalid(`${file}: needs prompt_embeddings, ${PEFT_HEAD_WEIGHT} and ${PEFT_HEAD_BIAS} (has: ${Object.keys(t).join(', ') || 'none'})`);
  const width = c.peft_type === 'PROMPT_TUNING' ? c.token_dim : c.num_layers * 2 * c.token_dim;
  const want = (name: string, got: tf.Tensor, shape: number[]) => {
    if (got.shape.length !== shape.length || got.shape.some((d, i) => d !== shape[i])) throw invalid(`${file}: ${name} has shape [${got.shape.join(', ')}], expected [${shape.join(', ')}] (${c.peft_type})`);
  };
  want('prompt_embeddings', table, [c.num_virtual_tokens, width]);
  const classes = adapter.objective === 'regression' ? 1 : adapter.labels.length;
  if (weight.shape.length !== 2) throw invalid(`${file}: ${PEFT_HEAD_WEIGHT} must be a [out, in] matrix, has shape [${weight.shape.join(', ')}]`);
  want(PEFT_HEAD_WEIGHT, weight, [classes, weight.shape[1]!]);
  want(PEFT_HEAD_BIAS, bias, [classes]);
  return { table, kernel: tf.transpose(weight), bias };
}
