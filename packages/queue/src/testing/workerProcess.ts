// Test helper: starts `worker.fixture.ts` in a child process (optionally inside a network
// namespace, through `ip netns exec`) and collects its output lines.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const FIXTURE = fileURLToPath(new URL('./worker.fixture.ts', import.meta.url));

export interface WorkerProcess {
  child: ChildProcess;
  lines: string[];
  /** Resolves once a line matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function spawnWorker(args: { url: string; workDir: string; processes?: number; dataDir?: string; netns?: string; env?: NodeJS.ProcessEnv }): Promise<WorkerProcess> {
  const node = [process.execPath, '--conditions=@panda/source', '--import', 'tsx', FIXTURE, args.url, args.workDir, String(args.processes ?? 1), ...(args.dataDir ? [args.dataDir] : [])];
  const [cmd, ...rest] = args.netns ? ['ip', 'netns', 'exec', args.netns, ...node] : node;
  const child = spawn(cmd!, rest, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...args.env } });
  const lines: string[] = [];
  const waiters: Array<{ pattern: RegExp; resolve: (l: string) => void }> = [];
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      lines.push(line);
      for (const w of [...waiters]) if (w.pattern.test(line)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  const proc: WorkerProcess = {
    child,
    lines,
    waitFor(pattern, timeoutMs = 120_000) {
      const seen = lines.find((l) => pattern.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} in ${timeoutMs} ms; got:\n${lines.join('\n')}`)), timeoutMs);
        waiters.push({ pattern, resolve: (l) => (clearTimeout(timer), resolve(l)) });
      });
    },
    async kill(signal = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill(signal);
      });
    },
  };
  await proc.waitFor(/^ready$/);
  return proc;
}
