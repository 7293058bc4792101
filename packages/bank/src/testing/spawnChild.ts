import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CHILD_SCRIPT = fileURLToPath(new URL('./bankChild.ts', import.meta.url));

export interface ChildRun {
  child: ChildProcess;
  /** Lines printed so far (stdout). */
  lines: string[];
  /** Resolves when the child exits. */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  /** Resolves once a line satisfying `pred` has been printed. */
  waitFor(pred: (line: string, all: string[]) => boolean): Promise<void>;
}

/** Runs bankChild.ts from source in a fresh Node process. */
export function runChild(args: string[], env: NodeJS.ProcessEnv = {}): ChildRun {
  const child = spawn(process.execPath, ['--conditions=@panda/source', '--import', 'tsx', CHILD_SCRIPT, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: Array<{ pred: (l: string, all: string[]) => boolean; resolve: () => void }> = [];
  let buf = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      lines.push(line);
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (waiters[i]!.pred(line, lines)) {
          waiters[i]!.resolve();
          waiters.splice(i, 1);
        }
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => {
      for (const w of waiters) w.resolve();
      resolve({ code, signal, stderr });
    }),
  );
  return {
    child,
    lines,
    done,
    waitFor: (pred) => new Promise<void>((resolve) => waiters.push({ pred, resolve })),
  };
}
