/**
 * A child process for the crash and concurrency tests (run from source:
 * `node --conditions=@panda/source --import tsx bankChild.ts <command> ...`). Prints one line per
 * committed entry ("added <id>") so the parent knows what must survive.
 *
 *   add   <bankDir> <id> <dim> [adapterDir]   add one entry (PANDA_BANK_CRASH_AFTER may kill it midway)
 *   many  <bankDir> <prefix> <n> <dim> <goFile> [<checkFile> <prefixes>]
 *         print "ready", wait for <goFile>, add n entries one by one; then, with a check file, print
 *         "finished", wait for <checkFile> and query every `<p>/<i>` (p in the comma-separated
 *         prefixes, i < n) with this process's own index: print "found <count of own top-1 hits>"
 *   loop  <bankDir> <prefix> <dim>            add entries forever (the parent kills it)
 */
import { existsSync } from 'node:fs';
import { PromptBank } from '../index.js';
import { embeddingFor } from './vectors.js';

const [command, dir, ...rest] = process.argv.slice(2);
const MODEL = 'test-model';
const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function add(bank: PromptBank, id: string, dim: number, adapterDir?: string): void {
  bank.add({ id, task: id.split('/')[0]!, model: MODEL, method: 'prompt-tuning', embedding: embeddingFor(id, dim), ...(adapterDir ? { adapterDir } : {}) });
  process.stdout.write(`added ${id}\n`);
}

if (!dir) throw new Error('usage: bankChild <command> <bankDir> ...');
const bank = PromptBank.open(dir);
if (command === 'add') {
  add(bank, rest[0]!, Number(rest[1]), rest[2]);
} else if (command === 'many') {
  const [prefix, n, dim, goFile, checkFile, prefixes] = rest;
  process.stdout.write('ready\n');
  while (!existsSync(goFile!)) sleep(5);
  for (let i = 0; i < Number(n); i++) add(bank, `${prefix}/${i}`, Number(dim));
  if (checkFile) {
    process.stdout.write('finished\n');
    while (!existsSync(checkFile)) sleep(5);
    let found = 0;
    for (const p of prefixes!.split(',')) {
      for (let i = 0; i < Number(n); i++) {
        const id = `${p}/${i}`;
        if (bank.query(embeddingFor(id, Number(dim)), { model: MODEL, k: 1 })[0]?.entry.id === id) found++;
      }
    }
    process.stdout.write(`found ${found}\n`);
  }
} else if (command === 'loop') {
  const [prefix, dim] = rest;
  for (let i = 0; ; i++) add(bank, `${prefix}/${i}`, Number(dim));
} else {
  throw new Error(`unknown command ${command}`);
}
bank.close();
process.stdout.write('closed\n');
