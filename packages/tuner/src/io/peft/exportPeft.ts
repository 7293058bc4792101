import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { PandaError } from '@panda/core';
import { saveSafetensors, writeFileAtomic } from '@panda/runtime';
import { loadRun } from '../loadRun.js';
import type { PrefixInfo } from '../../methods/deep-prompt-tuning/prefixInfo.js';
import { PANDA_CONFIG_METADATA, PEFT_CONFIG_FILE, PEFT_HEAD_BIAS, PEFT_HEAD_WEIGHT, type PeftConfig } from './peftConfig.js';

/**
 * Writes a saved prompt-tuning or deep-prompt-tuning run as a PEFT adapter folder:
 * `adapter_model.safetensors` (`prompt_embeddings`, the head as the classifier's [out, in] Linear)
 * and PEFT's `adapter_config.json`. The run's own config travels in the safetensors metadata so
 * {@link importPeft} gives back the same run.
 * @throws CHECKPOINT_INVALID for another method, or a run without what PEFT needs
 */
export async function exportPeft(runDir: string, outDir: string): Promise<{ files: string[]; config: PeftConfig }> {
  const run = await loadRun(runDir);
  try {
    const { adapter, weights } = run;
    const kernel = weights['head/kernel'];
    const bias = weights['head/bias'];
    if (!kernel || !bias) throw new PandaError('CHECKPOINT_INVALID', `${runDir}: no head/kernel and head/bias to export`);
    const prefix = adapter.prefix as PrefixInfo | undefined;
    const table = adapter.method === 'prompt-tuning' ? weights['prompt'] : adapter.method === 'deep-prompt-tuning' ? weights['prefix'] : undefined;
    if (!table) throw new PandaError('CHECKPOINT_INVALID', `${runDir}: method '${adapter.method}' has no PEFT form (prompt-tuning -> PROMPT_TUNING, deep-prompt-tuning -> PREFIX_TUNING)`);
    const [rows, width] = table.shape as [number, number];
    let config: PeftConfig;
    if (prefix) {
      const d = prefix.layout.widths[0]!;
      if (prefix.layout.widths.some((w) => w !== d)) throw new PandaError('CHECKPOINT_INVALID', `${runDir}: PEFT prefix tuning needs one width per layer; the run has [${prefix.layout.widths.join(', ')}]`);
      config = peftFields('PREFIX_TUNING', rows, d, prefix.layout.widths.length, prefix.layout.numHeads, adapter.backboneSpec);
    } else {
      config = peftFields('PROMPT_TUNING', rows, width, 1, 1, adapter.backboneSpec);
    }
    const weight = tf.transpose(kernel);
    try {
      await mkdir(outDir, { recursive: true });
      const file = join(outDir, 'adapter_model.safetensors');
      await saveSafetensors(file, { prompt_embeddings: table, [PEFT_HEAD_WEIGHT]: weight, [PEFT_HEAD_BIAS]: bias }, { format: 'pt', [PANDA_CONFIG_METADATA]: JSON.stringify(adapter) });
      await writeFileAtomic(join(outDir, PEFT_CONFIG_FILE), JSON.stringify(config, null, 2) + '\n');
      return { files: [file, join(outDir, PEFT_CONFIG_FILE)], config };
    } finally {
      weight.dispose();
    }
  } finally {
    tf.dispose(run.weights);
  }
}

function peftFields(peftType: PeftConfig['peft_type'], rows: number, tokenDim: number, layers: number, heads: number, base: string | undefined): PeftConfig {
  return {
    peft_type: peftType,
    task_type: 'SEQ_CLS',
    num_virtual_tokens: rows,
    token_dim: tokenDim,
    num_layers: layers,
    num_attention_heads: heads,
    num_transformer_submodules: 1,
    base_model_name_or_path: base ?? null,
    inference_mode: true,
  };
}
