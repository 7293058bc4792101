import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { startQueueWorker } from '@panda/queue';
import { dataDirOption, DATA_DIR_DEFAULT_HELP } from '../config/dataDir.js';

function positiveInt(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${flag} expects a whole number ≥ 1, got ${JSON.stringify(v)}`);
    return n;
  };
}

/**
 * `panda worker`: serves tuning jobs from a BullMQ queue on Redis (what `panda grid --queue`
 * enqueues) until stopped. Ctrl-C (SIGINT/SIGTERM) stops taking jobs and waits for the running
 * ones; a second Ctrl-C stops at once (the jobs go back to the queue after the lock expires).
 */
export function workerCommand(): Command {
  return new Command('worker')
    .description('run tuning jobs from a queue (BullMQ on Redis) on this machine, for `panda grid --queue` coordinators')
    .requiredOption('--queue <url>', 'the Redis URL: redis://host:port, rediss://host:port for TLS, redis://:password@host:port with a password')
    .option('--queue-name <name>', 'the BullMQ queue (default panda-tune)')
    .option('--processes <n>', 'tuning processes on this machine (jobs at a time)', positiveInt('--processes'), 1)
    .option('--dir <folder>', "the worker's own folder: jobs write only inside it (default: a panda-worker folder in the system temp dir)")
    .option('--data-dir <folder>', `where built-in tasks read their files here (${DATA_DIR_DEFAULT_HELP})`)
    .option('--model <spec>', 'a backbone jobs may ask for besides use-lite (a Hugging Face folder on this machine; repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--lock-seconds <n>', 'seconds a job lock lasts unrenewed: a dead worker loses its job after this long (default 30)', positiveInt('--lock-seconds'))
    .option('--name <name>', 'the name jobs record as processed by (default host:pid)')
    .action(async (opts: { queue: string; queueName?: string; processes: number; dir?: string; dataDir?: string; model: string[]; lockSeconds?: number; name?: string }) => {
      const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
      const handle = await startQueueWorker({
        url: opts.queue,
        processes: opts.processes,
        workDir: opts.dir ?? join(tmpdir(), 'panda-worker'),
        ...(opts.queueName ? { queueName: opts.queueName } : {}),
        ...dataDirOption(opts.dataDir),
        ...(opts.model.length ? { models: opts.model } : {}),
        ...(opts.lockSeconds ? { lockSeconds: opts.lockSeconds } : {}),
        ...(opts.name ? { name: opts.name } : {}),
        onLog: log,
      });
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = () => {
          if (stopping) {
            log('stopping now');
            void handle.close(true).then(resolve);
            return;
          }
          stopping = true;
          log('stopping: waiting for the running jobs (Ctrl-C again to stop at once)');
          void handle.close(false).then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      log(`worker ${handle.name} stopped after ${handle.finished()} job(s)`);
    });
}
