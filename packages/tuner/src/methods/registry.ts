import { PandaError } from '@panda/core';
import type { TuningMethod } from './method.js';
import { promptTuning } from './prompt-tuning/promptTuning.js';
import { deepPromptTuning } from './deep-prompt-tuning/deepPromptTuning.js';
import { modelTuning } from './model-tuning/modelTuning.js';
import { linearProbe } from './linear-probe/linearProbe.js';
import { templateSoftTokens } from './template-soft-tokens/templateSoftTokens.js';

/** The built-in methods, then whatever `registerMethod` adds, by name. */
const METHODS = new Map<string, TuningMethod>([promptTuning, deepPromptTuning, modelTuning, linearProbe, templateSoftTokens].map((m) => [m.name, m]));

/**
 * Adds a tuning method (a third party's: a plugin calls this). Its name must be new.
 * @throws PandaError `CONFIG_INVALID` for a name already registered.
 */
export function registerMethod(method: TuningMethod): void {
  if (METHODS.has(method.name)) throw new PandaError('CONFIG_INVALID', `a tuning method named '${method.name}' is already registered`);
  METHODS.set(method.name, method);
}

/** @throws PandaError `CONFIG_INVALID` naming the registered methods when `name` is not one. */
export function methodByName(name: string): TuningMethod {
  const method = METHODS.get(name);
  if (!method) throw new PandaError('CONFIG_INVALID', `unknown tuning method '${name}' (registered: ${[...METHODS.keys()].join(', ')}; a plugin's method needs that plugin loaded, e.g. panda --plugin <module>)`);
  return method;
}

/** Every registered method, built-ins first. */
export function listMethods(): TuningMethod[] {
  return [...METHODS.values()];
}

/**
 * The module that runs a config's method: prompt tuning whose template has soft tokens trains those
 * tokens in place (the template-soft-tokens module), and records itself as prompt tuning.
 */
export function resolveMethod(name: string, templateSoftRows: number): TuningMethod {
  return name === promptTuning.name && templateSoftRows > 0 ? templateSoftTokens : methodByName(name);
}
