import { PandaError } from '@panda/core';
import type { Example } from '../types.js';
import type { TaskDefinition } from './task.js';

/**
 * A span or multiple-choice task seen as sentence-pair classification, so that a sentence encoder
 * with a linear head can be tuned on it (the same label indices, the same metric):
 * - WiC-like span tasks (one marked word in each text): `textB` gains ` [word: <span>]`;
 * - WSC-like span tasks (noun phrase and pronoun in `text`): `textB` = `<pronoun> = <noun phrase>?`;
 * - choice tasks (COPA): `text` = `<premise> (<question>)`, `textB` = `<choice 1> / <choice 2>`,
 *   the label the index of the right choice.
 * Single-text and pair tasks are returned as they are; regression has no class labels
 * (CONFIG_INVALID). The serialisation is plain text, fixed and documented: a hard template.
 */
export function asClassification(task: TaskDefinition): TaskDefinition {
  if (task.type === 'single' || task.type === 'pair') return task;
  if (task.type === 'regression') {
    throw new PandaError('CONFIG_INVALID', `task '${task.name}' is a regression task: it has no classes to classify into`);
  }
  const view = task.type === 'choice' ? choiceAsPair : spanAsPair;
  return {
    ...task,
    type: 'pair',
    description: `${task.description} (as pair classification)`,
    async load(split, context) {
      const loaded = await task.load(split, context);
      return { ...loaded, examples: loaded.examples.map(view) };
    },
  };
}

function choiceAsPair(e: Example): Example {
  const choices = e.choices ?? [];
  const question = e.fields?.question;
  return { ...e, text: question ? `${e.text} (${question})` : e.text, textB: choices.join(' / ') };
}

function spanAsPair(e: Example): Example {
  const spans = e.spans ?? [];
  if (spans.length === 2 && spans[0]!.field === 'text' && spans[1]!.field === 'textB') {
    return { ...e, textB: `${e.textB ?? ''} [word: ${spans[0]!.text}]` };
  }
  if (spans.length === 2) return { ...e, textB: `${spans[1]!.text} = ${spans[0]!.text}?` };
  return e;
}

/**
 * The view of a task the tuner trains on: a regression task as it is (a one-output head), every
 * other task as classification ({@link asClassification}).
 */
export function asTrainable(task: TaskDefinition): TaskDefinition {
  return task.type === 'regression' ? task : asClassification(task);
}
