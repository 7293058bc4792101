import { PandaError } from '@panda/core';
import type { TaskType } from '@panda/datasets';
import { Template } from '../syntax/template.js';
import type { LabelWords } from '../verbalizers/labelWords.js';
import { familyServing, listTemplateFamilies, templateFamily } from './familyRegistry.js';

/** The styles of the built-in templates: a cloze sentence, a question and answer, a framing description. */
export type PromptStyle = 'cloze' | 'qa' | 'descriptive';

/** A family's template, with the label view sentence encoders score against. */
export interface FamilyTemplate {
  /** `<family>/<style>/<n>`, e.g. `single/cloze/1`. */
  name: string;
  /** A registered family (the built-ins are `TemplateFamily`). */
  family: string;
  /** A {@link PromptStyle} for the built-ins; registered families may use other styles. */
  style: string;
  template: Template;
  /**
   * The label view for similarity scoring ({@link SimilarityClassifier}'s `answer`), when the
   * default (the template's text without its fields) would not carry the meaning, as in pairs.
   */
  answer?: Template;
}

/**
 * The templates of a registered family (built-in: single sentence, sentence pair,
 * reading-comprehension QA, multiple choice, marked spans, in cloze, QA and descriptive styles).
 * Descriptive templates name the label words when `words` are given.
 * @throws PandaError `CONFIG_INVALID` for an unregistered family, listing the registered ones.
 */
export function familyTemplates(family: string, words?: LabelWords): FamilyTemplate[] {
  const counts = new Map<string, number>();
  return templateFamily(family)
    .templates(words)
    .map((s) => {
      const n = (counts.get(s.style) ?? 0) + 1;
      counts.set(s.style, n);
      const name = `${family}/${s.style}/${n}`;
      return {
        name,
        family,
        style: s.style,
        template: Template.parse(s.template, name),
        ...(s.answer !== undefined ? { answer: Template.parse(s.answer, `${name}/answer`) } : {}),
      };
    });
}

/**
 * The family a task type uses when the task gives no hint: the registered family that serves it.
 * @throws PandaError `TEMPLATE_INVALID` when no family serves the type (regression, by default).
 */
export function familyForType(type: TaskType): string {
  const family = familyServing(type);
  if (family) return family.name;
  const why = type === 'regression' ? 'regression tasks have no label words; ' : '';
  throw new PandaError('TEMPLATE_INVALID', `${why}no template family serves ${type} tasks (families: ${listTemplateFamilies().map((f) => f.name).join(', ')})`, { details: { type } });
}

/**
 * The templates for a task, chosen by its template hint (`TaskDefinition.template`, a registered
 * family), else by its type.
 * @example templatesForTask(getTask('rte'), defaultLabelWords(getTask('rte').labels))
 */
export function templatesForTask(task: { type: TaskType; template?: string }, words?: LabelWords): FamilyTemplate[] {
  return familyTemplates(task.template ?? familyForType(task.type), words);
}
