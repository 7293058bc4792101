import { PandaError } from '@panda/core';
import type { Example } from '@panda/datasets';
import { cosine } from '@panda/core';
import type { TokenEmbedder } from '../embed/embedder.js';
import { argmax, type Calibration, type SimilarityScores } from '../verbalizers/similarity.js';
import { exampleVariables, type PromptSourceTemplate } from './promptSourceTemplate.js';

export interface PromptSourceScoreOptions {
  /** Default 'mean' (see {@link Calibration}; 'content-free' is not available here). */
  calibration?: Exclude<Calibration, 'content-free'>;
  /** Example → template variables (default {@link exampleVariables}). */
  variables?: (example: Example) => Record<string, unknown>;
}

/**
 * Zero-shot scoring of a PromptSource template on a sentence encoder: the rendered input against
 * each rendered answer choice, by cosine similarity (the same rule as {@link SimilarityClassifier}).
 * Token ids beyond the model's maximum length are cut from the end (PromptSource has no shortenable marks).
 * @throws PandaError `TEMPLATE_INVALID` when the template has no answer choices.
 */
export async function scorePromptSource(template: PromptSourceTemplate, examples: readonly Example[], embedder: TokenEmbedder, options: PromptSourceScoreOptions = {}): Promise<SimilarityScores> {
  const toVars = options.variables ?? exampleVariables;
  const clip = (text: string): number[] => (text.trim() === '' ? [] : embedder.tokenizer.encode(text.trim()).slice(0, embedder.maxLength));
  const rows: number[][] = [];
  const plan = examples.map((x) => {
    const applied = template.apply(toVars(x));
    if (!applied.answerChoices || applied.answerChoices.length < 2) {
      throw new PandaError('TEMPLATE_INVALID', `PromptSource '${template.name}' gives no answer choices for example ${x.id}; zero-shot scoring needs them`);
    }
    rows.push(clip(applied.input));
    const q = rows.length - 1;
    const keys = applied.answerChoices.map((c) => (rows.push(clip(c)), rows.length - 1));
    return { q, keys };
  });
  const vectors = await embedder.embedIds(rows);
  const raw = plan.map(({ q, keys }) => keys.map((k) => cosine(vectors[q]!, vectors[k]!)));
  let scores = raw;
  if ((options.calibration ?? 'mean') === 'mean' && raw.length > 0) {
    const width = Math.min(...raw.map((r) => r.length));
    const bias = Array.from({ length: width }, (_, c) => raw.reduce((a, r) => a + r[c]!, 0) / raw.length);
    scores = raw.map((r) => r.map((v, c) => v - (bias[c] ?? 0)));
  }
  return { raw, scores, predictions: scores.map(argmax) };
}
