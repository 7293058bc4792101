import { join } from 'node:path';
import { isPandaError, PandaError } from '@panda/core';
import type { SkippedRow } from '../adapters/rowIssues.js';
import { carveSplits } from '../splits/seededSplit.js';
import type { Example, LoadedSplit, ReadOptions, SplitName, UnlabelledSplit } from '../types.js';
import { dataDirHint } from './dataDir.js';
import { cached } from './loadCache.js';
import type { LoadContext, TaskDefinition } from './task.js';

/** Reads one file: absolute path, data-directory-relative id base, read options. */
export type FileReader = (file: string, idBase: string, options: ReadOptions) => Promise<LoadedSplit>;
/** Reads one unlabelled file. */
export type UnlabelledReader = (file: string, idBase: string, options: ReadOptions) => Promise<UnlabelledSplit>;

/** Task fields other than how it loads. */
export type TaskMeta = Omit<TaskDefinition, 'load' | 'loadUnlabelled' | 'splits' | 'files' | 'carved' | 'builtin'>;

function noSplit(name: string, split: SplitName, splits: readonly SplitName[]): PandaError {
  return new PandaError('CONFIG_INVALID', `task '${name}' has no ${split} split (it has: ${splits.join(', ')})`, { details: { task: name, split } });
}

/**
 * Runs a read of files inside the data directory; a missing file's error then also says which data
 * directory was searched and how to set it (code, file and cause kept; `details.dataDir` added).
 */
async function inDataDir<T>(dataDir: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (!isPandaError(err, 'DATA_FILE_MISSING')) throw err;
    throw new PandaError('DATA_FILE_MISSING', `${err.message}; ${dataDirHint(dataDir)}`, { cause: err, details: { ...err.details, dataDir } });
  }
}

/** Reads files one after another into one split; `limit` counts across files. */
async function readAll(files: readonly string[], read: FileReader, context: LoadContext): Promise<LoadedSplit> {
  const examples: Example[] = [];
  let skipped = 0;
  for (const rel of files) {
    const left = context.limit === undefined ? undefined : context.limit - examples.length;
    if (left !== undefined && left <= 0) break;
    const { dataDir: _d, limit: _l, ...rest } = context;
    const part = await inDataDir(context.dataDir, () => read(join(context.dataDir, rel), rel, left !== undefined ? { ...rest, limit: left } : rest));
    examples.push(...part.examples);
    skipped += part.skipped;
  }
  return { examples, skipped, source: files.map((f) => join(context.dataDir, f)).join(', ') };
}

function unlabelledLoader(name: string, file: string | undefined, read: UnlabelledReader | undefined): TaskDefinition['loadUnlabelled'] {
  if (!file || !read) return undefined;
  return async (context) => {
    const { dataDir: _d, ...rest } = context;
    return inDataDir(context.dataDir, () => read(join(context.dataDir, file), file, rest));
  };
}

/** A task whose every split is one or more files of the release, read as they are. */
export function filesTask(meta: TaskMeta, files: Partial<Record<SplitName, readonly string[]>>, read: FileReader, unlabelled?: { file: string; read: UnlabelledReader }): TaskDefinition {
  const splits = (['train', 'dev', 'test'] as const).filter((s) => files[s]);
  const loadUnlabelled = unlabelledLoader(meta.name, unlabelled?.file, unlabelled?.read);
  return {
    ...meta,
    builtin: false,
    splits,
    files,
    load(split, context) {
      const list = files[split];
      if (!list) return Promise.reject(noSplit(meta.name, split, splits));
      return readAll(list, read, context);
    },
    ...(loadUnlabelled ? { loadUnlabelled } : {}),
  };
}

/**
 * A task whose dev (and optionally test) split is carved with a seed from a labelled file of the
 * release (stratified, exact sizes; train is the rest), plus splits read from their own files.
 * The source file is parsed once and shared by the carved splits (see `cached`); `limit` cuts
 * each split after carving, so the carve never depends on it. Rows skipped in the source file
 * are reported with the train split (and to `onSkip` when train is loaded).
 */
export function carvedTask(
  meta: TaskMeta,
  plan: { from: string; read: FileReader; dev: number; test?: number; seed: string; files?: Partial<Record<SplitName, readonly string[]>>; readFiles?: FileReader },
  unlabelled?: { file: string; read: UnlabelledReader },
): TaskDefinition {
  const own = plan.files ?? {};
  const splits = (['train', 'dev', 'test'] as const).filter((s) => s === 'train' || s === 'dev' || (s === 'test' && (plan.test !== undefined || own.test)));
  const files: Partial<Record<SplitName, readonly string[]>> = { train: [plan.from], dev: [plan.from], ...(plan.test !== undefined ? { test: [plan.from] } : {}), ...own };
  const loadUnlabelled = unlabelledLoader(meta.name, unlabelled?.file, unlabelled?.read);
  const carve = async (context: LoadContext) => {
    const file = join(context.dataDir, plan.from);
    const skipBadRows = context.skipBadRows ?? false;
    return cached(`carve\u0000${meta.name}\u0000${file}\u0000${skipBadRows}`, async () => {
      const skippedRows: SkippedRow[] = [];
      const all = await inDataDir(context.dataDir, () => plan.read(file, plan.from, { skipBadRows, onSkip: (s) => skippedRows.push(s) }));
      return { ...carveSplits(all.examples, { dev: plan.dev, seed: plan.seed, ...(plan.test !== undefined ? { test: plan.test } : {}) }), skippedRows, source: file };
    });
  };
  return {
    ...meta,
    builtin: false,
    splits,
    files,
    carved: { from: [plan.from], dev: plan.dev, ...(plan.test !== undefined ? { test: plan.test } : {}), seed: plan.seed },
    async load(split, context) {
      if (!splits.includes(split)) throw noSplit(meta.name, split, splits);
      const ownFiles = own[split];
      if (ownFiles) return readAll(ownFiles, plan.readFiles ?? plan.read, context);
      const parts = await carve(context);
      const examples = parts[split as 'train' | 'dev' | 'test'] ?? [];
      if (split === 'train') for (const s of parts.skippedRows) context.onSkip?.(s);
      return {
        examples: context.limit !== undefined ? examples.slice(0, context.limit) : [...examples],
        skipped: split === 'train' ? parts.skippedRows.length : 0,
        source: parts.source,
      };
    },
    ...(loadUnlabelled ? { loadUnlabelled } : {}),
  };
}
