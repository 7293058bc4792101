import type { Backbone } from '../backbone.js';

/**
 * A way to load a backbone from a spec string (a name, a model id, a folder path), registered
 * with {@link registerBackbone} and picked by {@link loadBackbone}.
 */
export interface BackboneLoader {
  /** Unique name, e.g. `use-lite`, `hf`. */
  readonly name: string;
  /** One line for listings and errors: the model and which specs it accepts. */
  readonly description: string;
  /** True when this loader takes the spec (cheap and synchronous: no weights are read). */
  matches(spec: string): boolean;
  /** Loads the backbone; the caller owns (and disposes) it. */
  load(spec: string): Promise<Backbone>;
}
