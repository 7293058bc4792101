/**
 * `@panda/hf/plugin`: the Hugging Face backbones as a plugin, so the apps (and the worker processes
 * they start) register them like any other: `loadPlugins(['@panda/hf/plugin'])`.
 */
import { definePlugin } from '@panda/core';
import { registerHfBackbones } from './register.js';

export default definePlugin({ name: 'hf', register: registerHfBackbones });
