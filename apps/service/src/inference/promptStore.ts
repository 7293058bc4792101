import { existsSync } from 'node:fs';
import type { PromptBank } from '@panda/bank';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { PandaError } from '@panda/core';
import type { Backbone } from '@panda/backbones';
import { ID_PATTERN, type ServiceDir } from '../storage/serviceDir.js';
import { LoadedRun, type PredictInput, type Prediction } from './runLoader.js';

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

interface Slot {
  run: LoadedRun;
  pins: number;
  evicted: boolean;
}

/**
 * The trained prompts the service can predict with, and an LRU cache of loaded ones. A request
 * pins the runs it uses, so eviction never frees a run in use (it is freed when released).
 */
export class PromptStore {
  readonly #dir: ServiceDir;
  readonly #backbone: () => Promise<Backbone>;
  readonly #capacity: number;
  readonly #cache = new Map<string, Slot>();
  readonly #loading = new Map<string, Promise<Slot>>();
  readonly #bank: PromptBank | undefined;

  constructor(dir: ServiceDir, backbone: () => Promise<Backbone>, capacity: number, bank?: PromptBank) {
    this.#dir = dir;
    this.#backbone = backbone;
    this.#capacity = capacity;
    this.#bank = bank;
  }

  /** True when `runs/<id>` holds a saved run. */
  has(id: string): boolean {
    return ID_PATTERN.test(id) && existsSync(join(this.#dir.runDir(id), 'adapter_config.json'));
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
    if (!adapterDir || !existsSync(join(adapterDir, 'adapter_config.json'))) return undefined;
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
    const config = JSON.parse(await readFile(join(dir, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8').catch(() => '{}')) as Record<string, unknown>;
    const created = typeof manifest.createdAt === 'string' ? manifest.createdAt : (await stat(join(dir, 'adapter_config.json'))).mtime.toISOString();
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
    const out: ItemPrediction[] = new Array(items.length);
    for (const [promptId, rows] of groups) {
      const slot = await this.#acquire(dirs.get(promptId)!);
      try {
        const predictions = slot.run.predict(rows.map((r) => items[r]!));
        rows.forEach((r, k) => (out[r] = { promptId, ...predictions[k]! }));
      } finally {
        this.#release(slot);
      }
    }
    return out;
  }

  /** Folders of the loaded prompts, most recently used last. */
  cached(): string[] {
    return [...this.#cache.keys()];
  }

  /** Drops a loaded prompt folder from the cache (after its files changed or were removed). */
  forget(dir: string): void {
    const slot = this.#cache.get(dir);
    if (!slot) return;
    this.#cache.delete(dir);
    slot.evicted = true;
    if (slot.pins === 0) slot.run.dispose();
  }

  async #acquire(dir: string): Promise<Slot> {
    const hit = this.#cache.get(dir);
    if (hit) {
      this.#cache.delete(dir);
      this.#cache.set(dir, hit);
      hit.pins++;
      return hit;
    }
    let pending = this.#loading.get(dir);
    if (!pending) {
      pending = (async () => {
        const run = await LoadedRun.load(dir, await this.#backbone());
        const slot: Slot = { run, pins: 0, evicted: false };
        this.#cache.set(dir, slot);
        this.#evict();
        return slot;
      })().finally(() => this.#loading.delete(dir));
      this.#loading.set(dir, pending);
    }
    const slot = await pending;
    // Evicted (and freed) between loading and now by a burst of other prompts: load it again.
    if (slot.evicted) return this.#acquire(dir);
    slot.pins++;
    return slot;
  }

  #release(slot: Slot): void {
    slot.pins--;
    if (slot.evicted && slot.pins === 0) slot.run.dispose();
  }

  #evict(): void {
    while (this.#cache.size > this.#capacity) {
      const [oldest, slot] = this.#cache.entries().next().value as [string, Slot];
      this.#cache.delete(oldest);
      slot.evicted = true;
      if (slot.pins === 0) slot.run.dispose();
    }
  }

  close(): void {
    for (const dir of [...this.#cache.keys()]) this.forget(dir);
  }
}
