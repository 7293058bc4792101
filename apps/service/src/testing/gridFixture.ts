// A grid folder for the page's tests, written through the transfer package's GridStore exactly as
// `panda grid` records its runs (a real grid of three tasks takes ~20 training runs, too slow for
// a browser test): cells with dev scores, each task's embedding, and the spec.
import { GridStore } from '@panda/transfer';

export const GRID_TASKS = ['reviews', 'topics', 'afinn'];

/** Dev scores: prompt tuning per target, then PoT and PANDA per source → target. */
const PT: Record<string, number> = { reviews: 0.7, topics: 0.6, afinn: 0.65 };
const score = (kind: string, s: number, t: number) => PT[GRID_TASKS[t]!]! + (kind === 'panda' ? 0.04 : 0.01) * (s - t) + (kind === 'panda' ? 0.03 : 0);

export function writeGridFixture(dir: string): void {
  const store = new GridStore(dir);
  try {
    store.setLatestSpec({ sources: GRID_TASKS, targets: GRID_TASKS, methods: ['prompt-tuning', 'pot', 'panda'], tuning: { promptLength: 4, epochs: 1 } });
    const base = { status: 'done' as const, test: null, firstEpochDev: null, seconds: 3, error: null, result: { metrics: { metric: 'accuracy' } } };
    GRID_TASKS.forEach((t, j) => {
      store.put({ ...base, id: `prompt-tuning/${t}`, kind: 'prompt-tuning', source: null, target: t, dev: PT[t]!, beta: null });
      GRID_TASKS.forEach((s, i) => {
        if (s === t) return;
        for (const kind of ['pot', 'panda']) store.put({ ...base, id: `${kind}/${s}/${t}`, kind, source: s, target: t, dev: score(kind, i, j), beta: kind === 'panda' ? 0.5 + 0.1 * i : null });
      });
      // Embeddings at different angles, so the PANDA metric between tasks spreads over a range.
      const angle = (j * Math.PI) / 5;
      store.putTask({ task: t, embedding: new Float32Array([Math.cos(angle), Math.sin(angle), 0.2, 0.1]), activationRate: new Float32Array([0.5, 0.5]), prompt: new Float32Array(8), promptRows: 2 });
    });
  } finally {
    store.close();
  }
}
