// A worker for the pool's tests: squares numbers, fails on negatives, dies on 13.
import { PandaError } from '@panda/core';
import { serveWorker } from './processPool.js';

serveWorker<number, { square: number; pid: number }>(async (n, emit) => {
  emit({ type: 'log', message: `got ${n}` });
  if (n === 13) process.exit(3);
  if (n < 0) throw new PandaError('CONFIG_INVALID', `negative: ${n}`);
  return { square: n * n, pid: process.pid };
});
