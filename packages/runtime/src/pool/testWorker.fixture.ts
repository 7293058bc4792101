// A worker for the pool's tests: squares numbers, fails on negatives, dies on 13, is killed by a signal on 14, tells its ONNX threads on 100.
import { PandaError } from '@panda/core';
import { serveWorker } from './processPool.js';

serveWorker<number, { square: number; pid: number; onnxThreads?: string }>(async (n, emit) => {
  emit({ type: 'log', message: `got ${n}` });
  if (n === 100) return { square: n * n, pid: process.pid, onnxThreads: process.env.PANDA_ONNX_THREADS ?? 'unset' };
  if (n === 13) process.exit(3);
  if (n === 14) process.kill(process.pid, 'SIGKILL');
  if (n < 0) throw new PandaError('CONFIG_INVALID', `negative: ${n}`);
  return { square: n * n, pid: process.pid };
});
