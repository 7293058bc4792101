import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's Node build registers no gradient functions, and its per-file ES build, which does,
// is not loadable by Node. This is that registration bundled for Node (scripts/vendor-gradients.ts),
// so importing @panda/runtime registers every gradient before any training, without the
// @tensorflow/tfjs umbrella (layers, converter, data, webgl). The path holds from src/ and dist/.
import '../../vendor/tfjs-core-gradients.js';
// The plain-JS CPU backend registers itself on import, so tensors made before `initBackend` (a
// command that only reads and writes weights, a test's fixtures) have a backend, as they did with
// the umbrella; `initBackend` then picks the fastest one.
import '@tensorflow/tfjs-backend-cpu';
import { PandaError } from '@panda/core';

/** Backends in the order panda prefers them. `tensorflow-gpu` and `tensorflow` are optional peers. */
export const BACKEND_ORDER = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_ORDER)[number];

/** Environment variable that overrides the automatic choice. */
export const BACKEND_ENV = 'PANDA_BACKEND';

export interface BackendChoice {
  /** The panda name of the backend that loaded. */
  name: BackendName;
  /** The tfjs backend name (`tensorflow`, `wasm`, `cpu`). */
  tfBackend: string;
  /** Why each backend before it was skipped. */
  skipped: Array<{ name: BackendName; reason: string }>;
  /** One line for logs: `backend wasm (skipped tensorflow-gpu: not installed, ...)`. */
  report: string;
}

export interface InitBackendOptions {
  /** Use exactly this backend (fails if it cannot load). Defaults to $PANDA_BACKEND, else automatic. */
  backend?: BackendName;
  /** Called once with the one-line report. */
  log?: (line: string) => void;
}

let current: BackendChoice | undefined;

async function tryLoad(name: BackendName): Promise<string> {
  switch (name) {
    case 'tensorflow-gpu':
      // Optional peers: import by a computed specifier so bundlers and tsc do not require them.
      await import(/* @vite-ignore */ ['@tensorflow', 'tfjs-node-gpu'].join('/'));
      return 'tensorflow';
    case 'tensorflow':
      await import(/* @vite-ignore */ ['@tensorflow', 'tfjs-node'].join('/'));
      return 'tensorflow';
    case 'wasm':
      await import('@tensorflow/tfjs-backend-wasm');
      return 'wasm';
    case 'cpu':
      await import('@tensorflow/tfjs-backend-cpu');
      return 'cpu';
  }
}

function reasonOf(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (/Cannot find (module|package)/i.test(msg)) return 'not installed';
  return msg.split('\n')[0] ?? msg;
}

/**
 * Picks the TensorFlow.js backend: tfjs-node-gpu, tfjs-node, wasm, cpu, the first that loads.
 * Idempotent: later calls return the first choice unless a different backend is asked for.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendChoice> {
  const envValue = process.env[BACKEND_ENV];
  const requested = options.backend ?? (envValue ? parseBackendName(envValue) : undefined);
  if (current && (requested === undefined || requested === current.name)) return current;

  const candidates: readonly BackendName[] = requested ? [requested] : BACKEND_ORDER;
  const skipped: BackendChoice['skipped'] = [];
  for (const name of candidates) {
    try {
      const tfBackend = await tryLoad(name);
      const ok = await tf.setBackend(tfBackend);
      if (!ok) throw new Error(`tf.setBackend('${tfBackend}') returned false`);
      await tf.ready();
      const skippedText = skipped.length
        ? ` (skipped ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')})`
        : '';
      const choice: BackendChoice = {
        name,
        tfBackend,
        skipped,
        report: `panda: TensorFlow.js backend ${name}${requested ? ' (requested)' : ''}${skippedText}`,
      };
      current = choice;
      options.log?.(choice.report);
      return choice;
    } catch (err) {
      skipped.push({ name, reason: reasonOf(err) });
    }
  }
  throw new PandaError(
    'BACKEND_UNAVAILABLE',
    `no TensorFlow.js backend could load: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`,
    { details: { skipped } },
  );
}

/** Validates a backend name from user input (env var, CLI flag). */
export function parseBackendName(value: string): BackendName {
  const v = value.trim().toLowerCase();
  if ((BACKEND_ORDER as readonly string[]).includes(v)) return v as BackendName;
  throw new PandaError(
    'CONFIG_INVALID',
    `unknown backend '${value}' (from ${BACKEND_ENV} or options); expected one of ${BACKEND_ORDER.join(', ')}`,
  );
}

/** The backend chosen by the last successful `initBackend`, if any. */
export function currentBackend(): BackendChoice | undefined {
  return current;
}
