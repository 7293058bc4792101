// The service's inference process: it loads the backbone (the service's `model`) and the plugins
// once, keeps an LRU cache of loaded runs, and classifies texts through LoadedRun.predict (the
// tuner's AdaptedModel: the one path training, evaluation and teachers use), so the service's
// event loop never runs a forward pass. Requests are handled one at a time, in order; a lost
// parent ends the process.
import { PandaError } from '@panda/core';
import { initBackend, parseBackendName } from '@panda/runtime';
import { loadBackbone, type Backbone } from '@panda/backbones';
import { loadPlugins } from '@panda/core/plugins';
import { LoadedRun, type PredictInput, type Prediction } from './runLoader.js';

/** What the backbone is, for checks the service makes before it stores or queues anything. */
export interface BackboneInfo {
  id: string;
  /** Width of a sentence embedding, and so of a task embedding of a run on this backbone. */
  hidden: number;
  /** Longest prompt + token sequence the model takes. */
  maxPositions: number;
  /** Whether a deep prompt's prefix takes positions (null: the backbone has no deep prompts). */
  prefixTakesPositions: boolean | null;
}

export interface InferenceSetup {
  model: string;
  plugins: string[];
  backend?: string;
  /** Runs kept loaded (least recently used are dropped). */
  capacity: number;
}

/** One prompt folder and the texts to classify with it. */
export interface PredictGroup {
  dir: string;
  inputs: PredictInput[];
}

export type InferenceRequest =
  | { type: 'init'; setup: InferenceSetup }
  | { type: 'predict'; id: number; groups: PredictGroup[] }
  | { type: 'info'; id: number }
  | { type: 'forget'; dir: string };

export type InferenceReply =
  | { type: 'predictions'; id: number; groups: Prediction[][] }
  | { type: 'info'; id: number; info: BackboneInfo }
  | { type: 'error'; id: number; code: string; message: string; status?: number; details?: Record<string, unknown> };

let setup: InferenceSetup | undefined;
let backbone: Promise<Backbone> | undefined;
/** Loaded runs by folder, most recently used last. */
const cache = new Map<string, LoadedRun>();
/** Requests run one after another: a load (async) never interleaves with another request. */
let chain: Promise<void> = Promise.resolve();

const send = (m: InferenceReply): void => {
  process.send?.(m);
};

process.on('disconnect', () => process.exit(0));
process.on('message', (msg: InferenceRequest) => {
  chain = chain.then(() => handle(msg)).catch(() => undefined);
});

async function handle(msg: InferenceRequest): Promise<void> {
  if (msg.type === 'init') {
    setup = msg.setup;
    return;
  }
  if (msg.type === 'forget') {
    cache.get(msg.dir)?.dispose();
    cache.delete(msg.dir);
    return;
  }
  try {
    if (msg.type === 'info') send({ type: 'info', id: msg.id, info: describe(await theBackbone()) });
    else send({ type: 'predictions', id: msg.id, groups: await predict(msg.groups) });
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown; status?: unknown; details?: unknown };
    send({
      type: 'error',
      id: msg.id,
      code: typeof e.code === 'string' ? e.code : 'INTERNAL',
      message: typeof e.message === 'string' ? e.message.slice(0, 2000) : String(err).slice(0, 2000),
      ...(typeof e.status === 'number' ? { status: e.status } : {}),
      ...(err instanceof PandaError && Object.keys(err.details).length ? { details: err.details } : {}),
    });
  }
}

function theBackbone(): Promise<Backbone> {
  if (!setup) return Promise.reject(new PandaError('INTERNAL', 'the inference process got a request before its setup'));
  const s = setup;
  backbone ??= (async () => {
    await initBackend(s.backend ? { backend: parseBackendName(s.backend) } : {});
    if (s.plugins.length) await loadPlugins(s.plugins);
    return loadBackbone(s.model);
  })();
  // A failed load is retried by the next request.
  backbone.catch(() => (backbone = undefined));
  return backbone;
}

function describe(b: Backbone): BackboneInfo {
  const layout = b.encoder.prefixLayout as { takesPositions?: boolean } | undefined;
  return { id: b.id, hidden: b.encoder.hidden, maxPositions: b.encoder.maxPositions, prefixTakesPositions: layout ? layout.takesPositions === true : null };
}

async function predict(groups: readonly PredictGroup[]): Promise<Prediction[][]> {
  const out: Prediction[][] = [];
  for (const g of groups) out.push(await (await run(g.dir)).predict(g.inputs));
  return out;
}

async function run(dir: string): Promise<LoadedRun> {
  const hit = cache.get(dir);
  if (hit) {
    cache.delete(dir);
    cache.set(dir, hit);
    return hit;
  }
  const loaded = await LoadedRun.load(dir, await theBackbone());
  cache.set(dir, loaded);
  while (cache.size > (setup?.capacity ?? 1)) {
    const [oldest, r] = cache.entries().next().value as [string, LoadedRun];
    if (oldest === dir) break;
    cache.delete(oldest);
    r.dispose();
  }
  return loaded;
}
