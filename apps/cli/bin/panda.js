#!/usr/bin/env node
// The `panda` command. Which code it runs is decided by one rule, never by what happens to be built:
//
// - In the workspace (this package has its TypeScript sources, src/main.ts) it runs the sources
//   through tsx, resolving @panda/* packages to their src/ entry points, whether or not a
//   `pnpm build` left a dist/ folder behind. tsx is resolved from this package (not from the
//   working directory), so panda runs from any folder. tsx is a dev dependency: the workspace has
//   it, the published package (no src/) never needs it; sources without it are an error that says so.
// - With PANDA_USE_DIST=1, or in the published package (which ships dist/ and no src/), it runs
//   the built dist/main.js in this process. PANDA_USE_DIST=1 without a build is an error that says
//   so, not a silent fall back to the sources.
import { existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dist = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const useDist = process.env.PANDA_USE_DIST === '1' || !existsSync(main);

if (useDist) {
  if (!existsSync(dist)) {
    const why = existsSync(main) ? 'PANDA_USE_DIST=1 asks for the built copy' : 'this package has neither src/main.ts nor a build';
    process.stderr.write(`panda: ${dist} not found: ${why}; run \`pnpm build\` first (or unset PANDA_USE_DIST to run the sources)\n`);
    process.exit(1);
  }
  await import(pathToFileURL(dist).href);
} else {
  let tsx;
  try {
    tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  } catch {
    process.stderr.write(`panda: tsx not found: running the sources (${main}) needs the workspace's dev dependencies; run \`pnpm install\` (or \`pnpm build\` and set PANDA_USE_DIST=1 to run the built copy)\n`);
    process.exit(1);
  }
  // The IPC channel is the child's lifeline: if this process dies (even by SIGKILL) the channel
  // closes and the child leaves (src/main.ts), instead of training on as an orphan nobody waits for.
  const child = spawn(process.execPath, ['--conditions=@panda/source', '--import', tsx, main, ...process.argv.slice(2)], { stdio: ['inherit', 'inherit', 'inherit', 'ipc'] });
  // Ctrl-C reaches the whole process group, the child included: this process only waits for the
  // child to finish its step. A SIGTERM or SIGHUP sent to this process alone is passed on.
  const relay = (signal) => () => child.kill(signal);
  const handlers = { SIGINT: () => {}, SIGTERM: relay('SIGTERM'), SIGHUP: relay('SIGHUP') };
  for (const [signal, handler] of Object.entries(handlers)) process.on(signal, handler);
  child.on('error', (err) => {
    process.stderr.write(`panda: cannot start ${process.execPath}: ${err.message}\n`);
    process.exitCode = 1;
  });
  child.on('exit', (code, signal) => {
    for (const [name, handler] of Object.entries(handlers)) process.off(name, handler);
    // A child ended by signal n exits as shells report it: 128 + n (130 for SIGINT, 137 for SIGKILL).
    process.exitCode = signal ? 128 + (constants.signals[signal] ?? 0) : (code ?? 1);
  });
}
