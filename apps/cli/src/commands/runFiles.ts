import { initBackend, parseBackendName } from '@panda/runtime';
import { loadBackbone, type Backbone } from '@panda/backbones';
import { readAdapterConfig } from '@panda/tuner';
import { LoadedRun } from '@panda/service';

/**
 * The backbone spec for a saved run: the one asked for, else the spec the run recorded (a Hugging
 * Face folder, `use-lite`), else USE-Lite (runs written before specs were recorded).
 */
export async function modelOfRun(dir: string, asked?: string): Promise<string> {
  if (asked) return asked;
  return (await readAdapterConfig(dir)).backboneSpec ?? 'use-lite';
}

/** Loads a run folder (or a bank entry's copy) for inference on its backbone; `close()` frees both. */
export async function openRun(dir: string, options: { backend?: string; model?: string } = {}): Promise<{ run: LoadedRun; backbone: Backbone; report: string; close(): void }> {
  const choice = await initBackend(options.backend ? { backend: parseBackendName(options.backend) } : {});
  const backbone = await loadBackbone(await modelOfRun(dir, options.model));
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
export async function predictInChunks<T extends { text: string; textB?: string }>(run: LoadedRun, items: readonly T[], onChunk: (done: number) => void, chunk = 256) {
  const out: Awaited<ReturnType<LoadedRun['predict']>> = [];
  for (let i = 0; i < items.length; i += chunk) {
    out.push(...(await run.predict(items.slice(i, i + chunk))));
    onChunk(Math.min(items.length, i + chunk));
  }
  return out;
}
