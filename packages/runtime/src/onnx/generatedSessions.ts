import { cachedModel } from './modelCache.js';
import { OnnxSession } from './session.js';

/**
 * The sessions of one model's generated graphs, one per variant (which injections are inputs),
 * made on first use: the graph from the disk cache when `cacheKey` names it (it must change with
 * the weights), else generated in memory.
 */
export class GeneratedSessions {
  readonly #sessions = new Map<string, Promise<OnnxSession>>();

  /**
   * @param prefix names the model family and generator version in cache keys (`use-lite-1`)
   * @param options.threads ONNX Runtime's intra-op threads (default: `OnnxSession.create`'s)
   */
  constructor(
    private readonly prefix: string,
    private readonly options: { cacheKey?: string; threads?: number } = {},
  ) {}

  get(variant: string, generate: () => Uint8Array): Promise<OnnxSession> {
    let s = this.#sessions.get(variant);
    if (!s) {
      const { cacheKey, threads } = this.options;
      const model = cacheKey ? cachedModel(`${this.prefix}-${cacheKey}-${variant}`, generate) : Promise.resolve(generate());
      s = model.then((m) => OnnxSession.create(m, threads ? { threads } : {}));
      this.#sessions.set(variant, s);
    }
    return s;
  }

  async dispose(): Promise<void> {
    const all = [...this.#sessions.values()];
    this.#sessions.clear();
    for (const s of all) await (await s).dispose();
  }
}
