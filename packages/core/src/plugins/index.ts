// Node-only entry (`@panda/core/plugins`): finding and importing plugin modules.
export { definePlugin } from './plugin.js';
export type { PandaPlugin } from './plugin.js';
export { loadPlugins, loadedPlugins, resolvePlugin } from './loadPlugins.js';
