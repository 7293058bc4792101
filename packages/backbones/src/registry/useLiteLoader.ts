import { loadUseLite, USE_LITE_ID } from '../use-lite/backbone.js';
import type { BackboneLoader } from './backboneLoader.js';

/** The built-in loader of the default backbone, USE-Lite: spec `use-lite` or its full id. */
export const useLiteLoader: BackboneLoader = {
  name: 'use-lite',
  description: `Universal Sentence Encoder Lite from npm (the default): spec 'use-lite' or '${USE_LITE_ID}'`,
  matches: (spec) => spec === 'use-lite' || spec === USE_LITE_ID,
  load: () => loadUseLite(),
};
