import { initBackend, parseBackendName } from '@panda/runtime';
import { loadUseLite, type Backbone } from '@panda/backbones';
import { LoadedRun } from '@panda/service';

/** Loads a run folder (or a bank entry's copy) for inference on USE-Lite; `close()` frees both. */
export async function openRun(dir: string, backend?: string): Promise<{ run: LoadedRun; backbone: Backbone; report: string; close(): void }> {
  const choice = await initBackend(backend ? { backend: parseBackendName(backend) } : {});
  const backbone = await loadUseLite();
  try {
    const run = await LoadedRun.load(dir, backbone);
    return {
      run,
      backbone,
      report: choice.report,
      close: () => {
        run.dispose();
        backbone.dispose();
      },
    };
  } catch (err) {
    backbone.dispose();
    throw err;
  }
}

/** Runs `predict` in chunks, reporting progress as steps (for the progress bar on long inputs). */
export function predictInChunks<T extends { text: string; textB?: string }>(run: LoadedRun, items: readonly T[], onChunk: (done: number) => void, chunk = 256) {
  const out: ReturnType<LoadedRun['predict']> = [];
  for (let i = 0; i < items.length; i += chunk) {
    out.push(...run.predict(items.slice(i, i + chunk)));
    onChunk(Math.min(items.length, i + chunk));
  }
  return out;
}
