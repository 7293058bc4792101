#!/usr/bin/env node
// The `panda` command. A built package runs dist/main.js; in the workspace (no build step) it runs
// the TypeScript sources through tsx, resolving @panda/* packages to their src/ entry points. tsx
// is resolved from this package (not from the working directory), so panda runs from any folder.
import { existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dist = new URL('../dist/main.js', import.meta.url);
if (existsSync(fileURLToPath(dist))) {
  await import(dist.href);
} else {
  const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
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
