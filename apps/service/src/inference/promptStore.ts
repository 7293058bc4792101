import type { PromptBank } from '@panda/bank';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { PandaError } from '@panda/core';
import { RUN_CONFIG_FILE, runConfigPathSync } from '@panda/tuner';
import { ID_PATTERN, type ServiceDir } from '../storage/serviceDir.js';
import type { InferenceClient } from './inferenceClient.js';
import type { PredictInput, Prediction } from './runLoader.js';

/** What the service tells about a stored prompt (a finished run in `runs/<id>`). */
export interface PromptSummary {
  id: string;
  task: string;
  method: string;
  backbone: string;
  labels: string[];
  promptLength: number;
  trainableParams: number | null;
  metrics: { devAccuracy?: number; testAccuracy?: number; bestStep?: number };
  steps: number | null;
  createdAt: string | null;
}

export interface PredictItem extends PredictInput {
  promptId: string;
}

export interface ItemPrediction extends Prediction {
  promptId: string;
}

/**
 * The trained prompts the service can predict with. Prediction itself runs in the inference
 * process (its LRU cache of loaded runs included): here prompt ids become folders inside the data
 * directory, and the batch goes there grouped by folder.
 */
export class PromptStore {
  readonly #dir: ServiceDir;
  readonly #inference: InferenceClient;
  readonly #bank: PromptBank | undefined;

  constructor(dir: ServiceDir, inference: InferenceClient, bank?: PromptBank) {
    this.#dir = dir;
    this.#inference = inference;
    this.#bank = bank;
  }

  /** Prediction requests in the inference process now (running or waiting). */
  get pending(): number {
    return this.#inference.pending;
  }

  /** True when `runs/<id>` holds a saved run (its panda_adapter.json, or a panda 0.1 run's adapter_config.json). */
  has(id: string): boolean {
    return ID_PATTERN.test(id) && runConfigPathSync(this.#dir.runDir(id)) !== undefined;
  }

  /**
   * The folder of a prompt id: a run the service trained (`runs/<id>`), else a prompt-bank entry
   * with an adapter (the bank's copy, inside the data directory). Undefined when neither.
   */
  locate(id: string): string | undefined {
    if (this.has(id)) return this.#dir.runDir(id);
    if (!this.#bank) return undefined;
    let adapterDir: string | null;
    try {
      adapterDir = this.#bank.has(id) ? this.#bank.get(id).adapterDir : null;
    } catch {
      return undefined; // not a valid bank id either
    }
    if (!adapterDir || runConfigPathSync(adapterDir) === undefined) return undefined;
    return this.#dir.inside(relative(this.#dir.root, adapterDir));
  }

  async list(): Promise<PromptSummary[]> {
    const root = join(this.#dir.root, 'runs');
    const out: PromptSummary[] = [];
    for (const id of (await readdir(root)).sort()) {
      if (!this.has(id)) continue;
      const summary = await this.summary(id).catch(() => undefined);
      if (summary) out.push(summary);
    }
    return out.sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''));
  }

  async summary(id: string): Promise<PromptSummary> {
    if (!this.has(id)) throw new PandaError('ENTRY_UNKNOWN', `no stored prompt '${id}'`, { details: { unknown: [id] } });
    const dir = this.#dir.runDir(id);
    // panda_adapter.json, or a panda 0.1 run's adapter_config.json.
    const configFile = runConfigPathSync(dir) ?? join(dir, RUN_CONFIG_FILE);
    const config = JSON.parse(await readFile(configFile, 'utf8')) as Record<string, unknown>;
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8').catch(() => '{}')) as Record<string, unknown>;
    const created = typeof manifest.createdAt === 'string' ? manifest.createdAt : (await stat(configFile)).mtime.toISOString();
    return {
      id,
      task: String(config.task ?? ''),
      method: String(config.method ?? ''),
      backbone: String(config.backbone ?? ''),
      labels: Array.isArray(config.labels) ? config.labels.map(String) : [],
      promptLength: Number(config.promptLength ?? 0),
      trainableParams: typeof config.trainableParams === 'number' ? config.trainableParams : null,
      metrics: (manifest.metrics as PromptSummary['metrics']) ?? {},
      steps: typeof manifest.steps === 'number' ? manifest.steps : null,
      createdAt: created,
    };
  }

  /**
   * Predicts a batch that may mix prompts: items are grouped by prompt, each group runs through
   * its prompt in one pass, answers come back in request order. Every prompt id is checked before
   * any work, so a batch with an unknown id fails whole (`ENTRY_UNKNOWN`) and changes nothing.
   */
  async predict(items: readonly PredictItem[]): Promise<ItemPrediction[]> {
    const groups = new Map<string, number[]>();
    items.forEach((item, i) => {
      const g = groups.get(item.promptId);
      if (g) g.push(i);
      else groups.set(item.promptId, [i]);
    });
    const dirs = new Map([...groups.keys()].map((id) => [id, this.locate(id)]));
    const unknown = [...dirs].filter(([, d]) => !d).map(([id]) => id);
    if (unknown.length) throw new PandaError('ENTRY_UNKNOWN', `unknown prompt id(s): ${unknown.slice(0, 10).join(', ')}`, { details: { unknown } });
    const order = [...groups];
    const results = await this.#inference.predict(order.map(([promptId, rows]) => ({ dir: dirs.get(promptId)!, inputs: rows.map((r) => input(items[r]!)) })));
    const out: ItemPrediction[] = new Array(items.length);
    order.forEach(([promptId, rows], g) => rows.forEach((r, k) => (out[r] = { promptId, ...results[g]![k]! })));
    return out;
  }

  /** Drops a loaded prompt folder from the inference process's cache (after its files changed or were removed). */
  forget(dir: string): void {
    this.#inference.forget(dir);
  }

  close(): Promise<void> {
    return this.#inference.close();
  }
}

/** Just the text fields (the prompt id stays here). */
function input(item: PredictItem): PredictInput {
  return { text: item.text, ...(item.textB !== undefined ? { textB: item.textB } : {}) };
}
