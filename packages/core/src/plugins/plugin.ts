/**
 * A plugin: a module a user names with `--plugin <module>` (CLI) or `plugins` (service) whose
 * default export registers what it adds — tasks, metrics, template families, verbalizers,
 * transferability metrics, tuning methods, backbones — through the packages' own `register*`
 * functions. The module imports those packages itself; since they resolve to the same files as
 * the application's, its registrations land in the registries the application reads.
 */
export interface PandaPlugin {
  /** Shown in errors and listings. */
  readonly name: string;
  /** Registers the plugin's additions. Called once per process, however often the module is named. */
  register(): void | Promise<void>;
}

/** Identity helper that type-checks a plugin object: `export default definePlugin({ name, register })`. */
export function definePlugin(plugin: PandaPlugin): PandaPlugin {
  return plugin;
}
