// Test helper: a queue worker in its own process (`<url> <workDir> <processes> [dataDir]`), so a
// test can SIGKILL it mid-job. It prints `ready` once it serves and one line per event.
import { startQueueWorker } from '../worker/queueWorker.js';

const [url, workDir, processes, dataDir] = process.argv.slice(2);
const handle = await startQueueWorker({
  url: url!,
  workDir: workDir!,
  processes: Number(processes ?? 1),
  lockSeconds: Number(process.env.PANDA_TEST_LOCK_SECONDS ?? 4),
  ...(process.env.PANDA_TEST_QUEUE ? { queueName: process.env.PANDA_TEST_QUEUE } : {}),
  ...(dataDir ? { dataDir } : {}),
  onLog: (line) => process.stdout.write(`${line}\n`),
});
process.stdout.write('ready\n');
process.on('SIGTERM', () => void handle.close(true).then(() => process.exit(0)));
