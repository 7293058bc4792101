/**
 * The backbone registry: loaders by name, in registration order, and `loadBackbone(spec)`, which
 * asks them in that order. The registry starts with the built-in USE-Lite loader (a module-level
 * value, not an import side effect); other packages add theirs (`@panda/hf`'s
 * `registerHfBackbones()`), as can applications.
 */
import { PandaError } from '@panda/core';
import type { Backbone } from '../backbone.js';
import type { BackboneLoader } from './backboneLoader.js';
import { useLiteLoader } from './useLiteLoader.js';

const loaders: BackboneLoader[] = [useLiteLoader];

/**
 * Adds a loader after those registered before it.
 * @throws `CONFIG_INVALID` when a loader of that name is already registered, or the name is empty.
 */
export function registerBackbone(loader: BackboneLoader): void {
  if (!loader.name) throw new PandaError('CONFIG_INVALID', 'a backbone loader needs a non-empty name');
  if (loaders.some((l) => l.name === loader.name)) {
    throw new PandaError('CONFIG_INVALID', `a backbone loader named '${loader.name}' is already registered`, { details: { name: loader.name } });
  }
  loaders.push(loader);
}

/** The registered loader of that name, if any. */
export function getBackboneLoader(name: string): BackboneLoader | undefined {
  return loaders.find((l) => l.name === name);
}

/** Names and descriptions of the registered loaders, in the order `loadBackbone` asks them. */
export function listBackbones(): Array<{ name: string; description: string }> {
  return loaders.map((l) => ({ name: l.name, description: l.description }));
}

/**
 * Loads the backbone a spec names, through the first registered loader that matches it.
 * @param spec default `use-lite`
 * @returns a backbone the caller owns (and disposes)
 * @throws `CONFIG_INVALID` when no loader matches (the message lists the loaders and what they
 *   accept); whatever the chosen loader throws.
 */
export async function loadBackbone(spec = 'use-lite'): Promise<Backbone> {
  const loader = loaders.find((l) => l.matches(spec));
  if (!loader) {
    const known = listBackbones();
    throw new PandaError('CONFIG_INVALID', `no backbone loader accepts '${spec}'; registered: ${known.map((l) => `${l.name} (${l.description})`).join('; ')}`, {
      details: { spec, loaders: known },
    });
  }
  return loader.load(spec);
}
