import { PandaError } from '@panda/core';
import type { TaskType, TemplateFamily } from '@panda/datasets';
import { escapeText } from '../syntax/printer.js';
import { Template } from '../syntax/template.js';
import type { LabelWords } from '../verbalizers/labelWords.js';

/** The three kinds of hand-written prompt: a cloze sentence, a question and answer, a framing description. */
export type PromptStyle = 'cloze' | 'qa' | 'descriptive';

/** A built-in template, with the label view sentence encoders score against. */
export interface FamilyTemplate {
  /** `<family>/<style>/<n>`, e.g. `single/cloze/1`. */
  name: string;
  family: TemplateFamily;
  style: PromptStyle;
  template: Template;
  /**
   * The label view for similarity scoring ({@link SimilarityClassifier}'s `answer`), when the
   * default (the template's text without its fields) would not carry the meaning, as in pairs.
   */
  answer?: Template;
}

interface Spec {
  style: PromptStyle;
  template: string;
  answer?: string;
}

function wordList(words: LabelWords | undefined): string {
  if (!words) return 'one of the classes';
  const first = words.words.map((l) => l[0]!);
  return first.length === 2 ? `${first[0]} or ${first[1]}` : `${first.slice(0, -1).join(', ')} or ${first.at(-1)}`;
}

function specs(family: TemplateFamily, words: LabelWords | undefined): Spec[] {
  const list = escapeText(wordList(words));
  switch (family) {
    case 'single':
      return [
        { style: 'cloze', template: '{text|shorten} It was {mask}.' },
        { style: 'cloze', template: '{text|shorten} All in all, it was {mask}.' },
        { style: 'cloze', template: '{text|shorten} In summary, this is {mask}.' },
        { style: 'qa', template: 'Question: What is this text about? Text: {text|shorten} Answer: {mask}.', answer: 'Answer: {mask}.' },
        { style: 'qa', template: '{text|shorten} Question: Which word describes the text best? Answer: {mask}.', answer: 'Answer: {mask}.' },
        { style: 'descriptive', template: `Each text below is labelled ${list}. Text: {text|shorten} Label: {mask}.`, answer: 'Label: {mask}.' },
        { style: 'descriptive', template: `Read the text and say whether it is ${list}. {text|shorten} It is {mask}.`, answer: 'It is {mask}.' },
      ];
    case 'pair':
      return [
        { style: 'cloze', template: '{text|shorten|nopunct}? {mask}, {textB|shorten}', answer: '{mask}, {textB}' },
        { style: 'cloze', template: '{text|shorten} {mask}: {textB|shorten}', answer: '{mask}: {textB}' },
        { style: 'qa', template: '{text|shorten} Question: {textB|shorten} Answer: {mask}.', answer: '{textB} Answer: {mask}.' },
        { style: 'qa', template: 'Question: does "{text|shorten}" mean "{textB|shorten}"? Answer: {mask}.', answer: '{textB} Answer: {mask}.' },
        { style: 'descriptive', template: `Say whether the second sentence follows from the first (${list}). First: {text|shorten} Second: {textB|shorten} Answer: {mask}.`, answer: 'Second: {textB} Answer: {mask}.' },
      ];
    case 'qa':
      return [
        { style: 'qa', template: '{text|shorten} Question: {textB|nopunct}? Answer: {mask}.', answer: '{textB|nopunct}? {mask}.' },
        { style: 'cloze', template: '{text|shorten} Based on the passage, {textB|nopunct|lower}? {mask}.', answer: '{textB|nopunct}? {mask}.' },
        { style: 'descriptive', template: `Read the passage and answer the question with ${list}. Passage: {text|shorten} Question: {textB} Answer: {mask}.`, answer: '{textB} Answer: {mask}.' },
      ];
    case 'choice':
      return [
        { style: 'cloze', template: '{text|shorten|nopunct}, so {mask}', answer: '{mask}' },
        { style: 'qa', template: '{text|shorten} What was the {field:question}? {mask}', answer: '{mask}' },
        { style: 'descriptive', template: 'Pick the more plausible {field:question} of the premise. Premise: {text|shorten} Answer: {mask}', answer: '{mask}' },
      ];
    case 'span':
      return [
        { style: 'qa', template: '{text|shorten} {textB|shorten} Question: is the word "{field:word}" used in the same way in both sentences? Answer: {mask}.', answer: 'Answer: {mask}.' },
        { style: 'cloze', template: '{text|shorten} Here, "{field:span2}" refers to "{field:span1}": {mask}.', answer: '{mask}.' },
      ];
  }
}

/**
 * The built-in templates of a family (single sentence, sentence pair, reading-comprehension QA,
 * multiple choice, marked spans), in cloze, QA and descriptive styles. Descriptive templates name
 * the label words when `words` are given.
 */
export function familyTemplates(family: TemplateFamily, words?: LabelWords): FamilyTemplate[] {
  const counts: Record<PromptStyle, number> = { cloze: 0, qa: 0, descriptive: 0 };
  return specs(family, words).map((s) => {
    const name = `${family}/${s.style}/${++counts[s.style]}`;
    return {
      name,
      family,
      style: s.style,
      template: Template.parse(s.template, name),
      ...(s.answer !== undefined ? { answer: Template.parse(s.answer, `${name}/answer`) } : {}),
    };
  });
}

/** The family a task type uses when the task gives no hint. */
export function familyForType(type: TaskType): TemplateFamily {
  switch (type) {
    case 'single':
      return 'single';
    case 'pair':
      return 'pair';
    case 'choice':
      return 'choice';
    case 'span':
      return 'span';
    case 'regression':
      throw new PandaError('TEMPLATE_INVALID', 'regression tasks have no label words; built-in templates cover classification (single, pair, qa, choice, span)');
  }
}

/**
 * The built-in templates for a task, chosen by its template hint (`TaskDefinition.template`), else by
 * its type.
 * @example templatesForTask(getTask('rte'), defaultLabelWords(getTask('rte').labels))
 */
export function templatesForTask(task: { type: TaskType; template?: TemplateFamily }, words?: LabelWords): FamilyTemplate[] {
  return familyTemplates(task.template ?? familyForType(task.type), words);
}
