#!/usr/bin/env node
// The `panda` command. A built package runs dist/main.js; in the workspace (no build step) it runs
// the TypeScript sources through tsx, resolving @panda/* packages to their src/ entry points. tsx
// is resolved from this package (not from the working directory), so panda runs from any folder.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dist = new URL('../dist/main.js', import.meta.url);
if (existsSync(fileURLToPath(dist))) {
  await import(dist.href);
} else {
  const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const r = spawnSync(process.execPath, ['--conditions=@panda/source', '--import', tsx, main, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exitCode = r.status ?? 1;
}
