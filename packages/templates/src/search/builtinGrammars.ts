import type { PromptGrammar } from './grammar.js';

// The pattern grammars of the built-in template families (see ../families/builtinFamilies.ts).

/** Single sentences: a framing, the text, a connective and the mask. */
export const SINGLE_GRAMMAR: PromptGrammar = {
  start: ['<frame>{text|shorten} <connect> {mask}.', '<frame>{text|shorten|nopunct}, <connect> {mask}.', '<frame><lead> {mask}: {text|shorten}'],
  rules: {
    frame: ['', 'Review: ', 'Text: ', 'A text about <domain>. ', 'Here is what someone wrote about <domain>. ', 'News: ', 'Comment: '],
    connect: ['it was', 'it is', 'all in all, it was', 'in summary, it is', 'overall, it felt', 'this is about', 'the topic is', 'the text is', 'I think it was', 'really'],
    lead: ['', 'It was', 'Topic', 'Category', 'In a word'],
  },
  answers: {
    '<frame>{text|shorten} <connect> {mask}.': '<connect> {mask}.',
    '<frame>{text|shorten|nopunct}, <connect> {mask}.': '<connect> {mask}.',
    '<frame><lead> {mask}: {text|shorten}': '<lead> {mask}.',
  },
};

/** Sentence pairs (and marked spans): the two texts joined around the mask. */
export const PAIR_GRAMMAR: PromptGrammar = {
  start: ['<frame>{text|shorten|nopunct}? {mask}, {textB|shorten}', '<frame>{text|shorten} <ask> {mask}, {textB|shorten}', '<frame>{text|shorten} {mask} <link> {textB|shorten}'],
  rules: {
    frame: ['', 'Premise: ', 'Consider this. '],
    ask: ['Question: is it true?', 'Right?', 'Does it follow?', 'So', 'Then'],
    link: ['', 'that', 'because', 'so'],
  },
  // Label views without fields: the same for every example, so trying words costs a few embeddings
  // (views that read {textB} cost one embedding per example and word; the built-in pair family has them).
  answers: {
    '<frame>{text|shorten|nopunct}? {mask}, {textB|shorten}': '{mask}.',
    '<frame>{text|shorten} <ask> {mask}, {textB|shorten}': '<ask> {mask}.',
    '<frame>{text|shorten} {mask} <link> {textB|shorten}': '{mask} <link>.',
  },
};

/** Passage and question. */
export const QA_GRAMMAR: PromptGrammar = {
  start: ['<frame>{text|shorten} Question: {textB|nopunct}? Answer: {mask}.', '<frame>{text|shorten} <ask> {textB|nopunct|lower}? {mask}.'],
  rules: {
    frame: ['', 'Passage: ', 'Read this about <domain>. '],
    ask: ['Based on the passage,', 'Is it true that', 'So,', 'Question:'],
  },
  answers: {
    '<frame>{text|shorten} Question: {textB|nopunct}? Answer: {mask}.': 'Answer: {mask}.',
    '<frame>{text|shorten} <ask> {textB|nopunct|lower}? {mask}.': '{mask}.',
  },
};

/** Multiple choice: the premise, a link and the candidate in the mask. */
export const CHOICE_GRAMMAR: PromptGrammar = {
  start: ['<frame>{text|shorten|nopunct} <link> {mask}', '<frame>{text|shorten} What was the {field:question}? {mask}'],
  rules: { frame: ['', 'Premise: '], link: [',', 'because', 'so', 'and then'] },
  answers: { '<frame>{text|shorten|nopunct} <link> {mask}': '{mask}', '<frame>{text|shorten} What was the {field:question}? {mask}': '{mask}' },
};
