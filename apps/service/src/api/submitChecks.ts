import { PandaError } from '@panda/core';
import { Template, type TemplateAst } from '@panda/templates';
import { methodByName, type TuneConfig } from '@panda/tuner';
import type { InferenceClient } from '../inference/inferenceClient.js';

const PROMPT_METHODS = new Set(['prompt-tuning', 'deep-prompt-tuning']);

function softRows(ast: TemplateAst): number {
  return ast.nodes.filter((n) => n.kind === 'soft').length;
}

/**
 * What a job's tuning config can be checked for before it is queued, so that a job that could only
 * fail is a 400 now rather than a failed job after a 202 (the same checks the trainer makes first):
 * the template parses (TEMPLATE_INVALID), the method is registered (CONFIG_INVALID), soft tokens in
 * a template train with prompt tuning only, and the prompt leaves room for text in the backbone's
 * positions (PROMPT_TOO_LONG; the backbone's limits come from the inference process).
 */
export async function checkTuneConfig(config: Partial<TuneConfig> | undefined, inference: InferenceClient | undefined): Promise<void> {
  if (!config) return;
  const method = config.method ?? 'prompt-tuning';
  methodByName(method);
  const template = config.template !== undefined ? Template.parse(config.template) : undefined;
  const soft = template ? softRows(template.ast) : 0;
  if (soft > 0 && method !== 'prompt-tuning') {
    throw new PandaError('CONFIG_INVALID', `the template has soft tokens; soft tokens inside a template train with prompt-tuning, not ${method} (write the template without {soft} for this method)`);
  }
  // With soft tokens in the template no rows go in front: the prompt length does not apply.
  if (!inference || soft > 0 || !PROMPT_METHODS.has(method)) return;
  const length = config.promptLength ?? 16;
  const info = await inference.backboneInfo();
  if (method === 'deep-prompt-tuning' && info.prefixTakesPositions === null) {
    throw new PandaError('CONFIG_INVALID', `backbone ${info.id} has no per-layer key/value injection point: deep-prompt-tuning is not available on it`);
  }
  if (method === 'deep-prompt-tuning' && !info.prefixTakesPositions) return;
  if (length >= info.maxPositions) {
    throw new PandaError('PROMPT_TOO_LONG', `a prompt of ${length} rows leaves no room for text in the model's ${info.maxPositions} positions (${info.id}): use promptLength below ${info.maxPositions}`, {
      details: { promptLength: length, maxPositions: info.maxPositions },
    });
  }
}
