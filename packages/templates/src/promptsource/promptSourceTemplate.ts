import { Template as JinjaTemplate } from '@huggingface/jinja';
import { PandaError } from '@panda/core';
import type { Example } from '@panda/datasets';
import type { PromptSourceMetadata, PromptSourceTemplateData } from './schema.js';

/** PromptSource's separator between the input and the target of a rendered template. */
export const TARGET_SEPARATOR = '|||';

/** What applying a template to an example gives: the input text, the target, and the rendered answer choices. */
export interface AppliedPrompt {
  input: string;
  /** Empty when the template renders no target (e.g. an unlabelled example). */
  target: string;
  answerChoices: string[] | null;
}

/** Turns the runtime values `@huggingface/jinja` passes to JS functions back into plain JS values. */
function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [k, plain(x)]));
  if (typeof v === 'object' && v !== null && 'value' in v && 'type' in v) return plain((v as { value: unknown }).value);
  return v;
}

/** Python's `zip`, which PromptSource puts into every template's globals. */
function zip(...lists: unknown[]): unknown[][] {
  const arrays = lists.map((l) => plain(l)).filter(Array.isArray) as unknown[][];
  const n = arrays.length === 0 ? 0 : Math.min(...arrays.map((a) => a.length));
  return Array.from({ length: n }, (_, i) => arrays.map((a) => a[i]));
}

function compile(source: string, what: string): JinjaTemplate {
  try {
    return new JinjaTemplate(source);
  } catch (err) {
    throw new PandaError('TEMPLATE_INVALID', `${what}: invalid Jinja: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * A PromptSource template, rendered with `@huggingface/jinja` (a maintained JavaScript Jinja):
 * `apply` renders `answer_choices` first (split on `|||`), then the template with the example's
 * variables plus `answer_choices` and `zip`, and splits the result on `|||` into input and target,
 * both stripped, as PromptSource's `Template.apply` does.
 */
export class PromptSourceTemplate {
  readonly id: string;
  readonly name: string;
  readonly jinja: string;
  readonly answerChoicesSource: string | null;
  readonly metadata: PromptSourceMetadata | null;
  readonly #template: JinjaTemplate;
  readonly #choices: JinjaTemplate | null;

  constructor(data: PromptSourceTemplateData) {
    this.id = data.id;
    this.name = data.name;
    this.jinja = data.jinja;
    this.answerChoicesSource = data.answer_choices ?? null;
    this.metadata = data.metadata ?? null;
    this.#template = compile(data.jinja, `template '${data.name}'`);
    this.#choices = this.answerChoicesSource ? compile(this.answerChoicesSource, `answer_choices of '${data.name}'`) : null;
  }

  /** The answer choices for an example (rendered; null when the template has none). */
  answerChoices(variables: Record<string, unknown>): string[] | null {
    if (!this.#choices) return null;
    return this.#render(this.#choices, { ...variables, zip }, 'answer_choices')
      .split(TARGET_SEPARATOR)
      .map((s) => s.trim());
  }

  /** Renders the template for one example's variables. */
  apply(variables: Record<string, unknown>): AppliedPrompt {
    const answerChoices = this.answerChoices(variables);
    const out = this.#render(this.#template, { ...variables, zip, ...(answerChoices ? { answer_choices: answerChoices } : {}) }, 'template');
    const parts = out.split(TARGET_SEPARATOR).map((s) => s.trim());
    return { input: parts[0] ?? '', target: parts.slice(1).join(` ${TARGET_SEPARATOR} `), answerChoices };
  }

  #render(t: JinjaTemplate, variables: Record<string, unknown>, what: string): string {
    try {
      return t.render(variables);
    } catch (err) {
      throw new PandaError('TEMPLATE_INVALID', `PromptSource '${this.name}': rendering its ${what} failed: ${(err as Error).message}`, { cause: err, details: { templateId: this.id } });
    }
  }
}

/**
 * The variables a PromptSource template sees for a panda example: the dataset's named fields
 * (`premise`, `hypothesis`, `question`, …), plus `text`, `textB`, `label`, `choices` and `idx`.
 */
export function exampleVariables(example: Example): Record<string, unknown> {
  return {
    text: example.text,
    ...(example.textB !== undefined ? { textB: example.textB } : {}),
    ...(example.choices ? { choices: example.choices } : {}),
    label: example.label,
    idx: example.id,
    ...example.fields,
  };
}
