import { CHOICE_GRAMMAR, PAIR_GRAMMAR, QA_GRAMMAR, SINGLE_GRAMMAR } from '../search/builtinGrammars.js';
import { escapeText } from '../syntax/printer.js';
import type { LabelWords } from '../verbalizers/labelWords.js';
import type { TemplateFamilyDefinition } from './familyRegistry.js';

/** The label words in a sentence (`great or terrible`), escaped for template source. */
function wordList(words: LabelWords | undefined): string {
  if (!words) return 'one of the classes';
  const first = words.words.map((l) => l[0]!);
  return escapeText(first.length === 2 ? `${first[0]} or ${first[1]}` : `${first.slice(0, -1).join(', ')} or ${first.at(-1)}`);
}

/** The built-in families (single, pair, qa, choice, span), each in cloze, QA and descriptive styles. */
export const BUILTIN_FAMILIES: readonly TemplateFamilyDefinition[] = [
  {
    name: 'single',
    description: 'one text (sentiment, topic, acceptability)',
    taskTypes: ['single'],
    grammar: SINGLE_GRAMMAR,
    templates: (words) => [
      { style: 'cloze', template: '{text|shorten} It was {mask}.' },
      { style: 'cloze', template: '{text|shorten} All in all, it was {mask}.' },
      { style: 'cloze', template: '{text|shorten} In summary, this is {mask}.' },
      { style: 'qa', template: 'Question: What is this text about? Text: {text|shorten} Answer: {mask}.', answer: 'Answer: {mask}.' },
      { style: 'qa', template: '{text|shorten} Question: Which word describes the text best? Answer: {mask}.', answer: 'Answer: {mask}.' },
      { style: 'descriptive', template: `Each text below is labelled ${wordList(words)}. Text: {text|shorten} Label: {mask}.`, answer: 'Label: {mask}.' },
      { style: 'descriptive', template: `Read the text and say whether it is ${wordList(words)}. {text|shorten} It is {mask}.`, answer: 'It is {mask}.' },
    ],
  },
  {
    name: 'pair',
    description: 'two texts (entailment, paraphrase)',
    taskTypes: ['pair'],
    grammar: PAIR_GRAMMAR,
    templates: (words) => [
      { style: 'cloze', template: '{text|shorten|nopunct}? {mask}, {textB|shorten}', answer: '{mask}, {textB}' },
      { style: 'cloze', template: '{text|shorten} {mask}: {textB|shorten}', answer: '{mask}: {textB}' },
      { style: 'qa', template: '{text|shorten} Question: {textB|shorten} Answer: {mask}.', answer: '{textB} Answer: {mask}.' },
      { style: 'qa', template: 'Question: does "{text|shorten}" mean "{textB|shorten}"? Answer: {mask}.', answer: '{textB} Answer: {mask}.' },
      {
        style: 'descriptive',
        template: `Say whether the second sentence follows from the first (${wordList(words)}). First: {text|shorten} Second: {textB|shorten} Answer: {mask}.`,
        answer: 'Second: {textB} Answer: {mask}.',
      },
    ],
  },
  {
    name: 'qa',
    description: 'reading comprehension: passage and question (BoolQ, MultiRC)',
    grammar: QA_GRAMMAR,
    templates: (words) => [
      { style: 'qa', template: '{text|shorten} Question: {textB|nopunct}? Answer: {mask}.', answer: '{textB|nopunct}? {mask}.' },
      { style: 'cloze', template: '{text|shorten} Based on the passage, {textB|nopunct|lower}? {mask}.', answer: '{textB|nopunct}? {mask}.' },
      { style: 'descriptive', template: `Read the passage and answer the question with ${wordList(words)}. Passage: {text|shorten} Question: {textB} Answer: {mask}.`, answer: '{textB} Answer: {mask}.' },
    ],
  },
  {
    name: 'choice',
    description: 'a choice among candidate answers (COPA); the candidates fill the mask',
    taskTypes: ['choice'],
    grammar: CHOICE_GRAMMAR,
    templates: () => [
      { style: 'cloze', template: '{text|shorten|nopunct}, so {mask}', answer: '{mask}' },
      { style: 'qa', template: '{text|shorten} What was the {field:question}? {mask}', answer: '{mask}' },
      { style: 'descriptive', template: 'Pick the more plausible {field:question} of the premise. Premise: {text|shorten} Answer: {mask}', answer: '{mask}' },
    ],
  },
  {
    name: 'span',
    description: 'a decision about marked spans (WiC, WSC)',
    taskTypes: ['span'],
    grammar: PAIR_GRAMMAR,
    templates: () => [
      { style: 'qa', template: '{text|shorten} {textB|shorten} Question: is the word "{field:word}" used in the same way in both sentences? Answer: {mask}.', answer: 'Answer: {mask}.' },
      { style: 'cloze', template: '{text|shorten} Here, "{field:span2}" refers to "{field:span1}": {mask}.', answer: '{mask}.' },
    ],
  },
];
