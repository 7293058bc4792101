import { z } from 'zod';
import { PandaError } from '@panda/core';
import { entryNameSchema, functionSchema, NamedRegistry, type TaskType } from '@panda/datasets';
import type { PromptGrammar } from '../search/grammar.js';
import { Template } from '../syntax/template.js';
import type { LabelWords } from '../verbalizers/labelWords.js';
import { BUILTIN_FAMILIES } from './builtinFamilies.js';

/** One template of a family, as source: its style, the template and its label view. */
export interface TemplateSpec {
  /** `cloze`, `qa`, `descriptive` for the built-ins (see `PromptStyle`); any name for yours. */
  style: string;
  /** Template source (see `parseTemplate`); must have one `{mask}`. */
  template: string;
  /** Label view for similarity scoring, when the template's text without its fields would not carry the meaning. */
  answer?: string;
}

/**
 * A template family: the hand-written templates for one input shape, in one or more styles.
 * Register your own with {@link registerTemplateFamily}; a task names it in `TaskDefinition.template`.
 */
export interface TemplateFamilyDefinition {
  /** The name tasks use (`single`, `pair`, ...). */
  name: string;
  description: string;
  /** Task types that use this family when a task names none (one family per type). */
  taskTypes?: readonly TaskType[];
  /** The templates, in order; `words` (when given) lets descriptive templates name the label words. */
  templates(words: LabelWords | undefined): readonly TemplateSpec[];
  /** Pattern grammar for automatic prompt search (`searchPrompts`), when the family has one. */
  grammar?: PromptGrammar;
}

const grammarSchema = z.object({
  start: z.array(z.string()).min(1),
  rules: z.record(z.string(), z.array(z.string())),
  answers: z.record(z.string(), z.string()).optional(),
});

/** Validates a {@link TemplateFamilyDefinition} registration. */
export const templateFamilySchema = z
  .object({
    name: entryNameSchema,
    description: z.string().min(1),
    taskTypes: z.array(z.enum(['single', 'pair', 'regression', 'choice', 'span'])).optional(),
    templates: functionSchema('templates'),
    grammar: grammarSchema.optional(),
  })
  .strict();

/** A family's task types are its own, and its templates (without label words) parse and have a mask. */
function checkFamily(family: TemplateFamilyDefinition, registered: ReadonlyArray<Readonly<TemplateFamilyDefinition>>): void {
  for (const type of family.taskTypes ?? []) {
    const other = registered.find((f) => f.taskTypes?.includes(type));
    if (other) throw new PandaError('CONFIG_INVALID', `template family '${family.name}': ${type} tasks are already served by family '${other.name}'`, { details: { family: family.name, type } });
  }
  for (const spec of family.templates(undefined)) {
    Template.parse(spec.template, family.name).requireMask();
    if (spec.answer !== undefined) Template.parse(spec.answer, `${family.name}/answer`).requireMask();
  }
}

const FAMILIES = new NamedRegistry<TemplateFamilyDefinition>('template family', { schema: templateFamilySchema, check: checkFamily, builtins: BUILTIN_FAMILIES });

/** The family that serves a task type when a task names none, if any. */
export function familyServing(type: TaskType): Readonly<TemplateFamilyDefinition> | undefined {
  return FAMILIES.list().find((f) => f.taskTypes?.includes(type));
}

/**
 * Adds a template family; tasks can then name it.
 * @throws PandaError `CONFIG_INVALID` for an invalid definition, a registered name, or a task type
 * another family already serves; `TEMPLATE_INVALID` for a template that does not parse or has no mask.
 */
export function registerTemplateFamily(family: TemplateFamilyDefinition): Readonly<TemplateFamilyDefinition> {
  return FAMILIES.register(family);
}

/**
 * The registered family named `name`.
 * @throws PandaError `CONFIG_INVALID` listing the registered families.
 */
export function templateFamily(name: string): Readonly<TemplateFamilyDefinition> {
  return FAMILIES.get(name);
}

/** Every registered family: the built-ins (single, pair, qa, choice, span) first. */
export function listTemplateFamilies(): Array<Readonly<TemplateFamilyDefinition>> {
  return FAMILIES.list();
}
