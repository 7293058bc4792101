import { readFile, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type * as tf from '@tensorflow/tfjs-core';
import { PandaError } from '@panda/core';
import { loadSafetensors, saveSafetensors, writeFileAtomic } from '@panda/runtime';

export const CHECKPOINT_FORMAT_VERSION = 1;
const MANIFEST = 'checkpoint.json';

// `devScore` was `devAccuracy` before regression runs existed: older checkpoints still resume.
// NaN (an undefined correlation) is written as null by JSON and read back as NaN.
const evalPointSchema = z.preprocess(
  (v) => (v && typeof v === 'object' && !('devScore' in v) && 'devAccuracy' in v ? { ...v, devScore: (v as { devAccuracy: unknown }).devAccuracy } : v),
  z.object({ step: z.number(), epoch: z.number(), devScore: z.number().nullable().transform((x) => x ?? Number.NaN), validationScore: z.number().nullable().transform((x) => x ?? Number.NaN).optional(), trainLoss: z.number().nullable() }),
);

/** Everything besides tensors that a resumed run needs to continue exactly. */
export const checkpointMetaSchema = z.object({
  formatVersion: z.literal(CHECKPOINT_FORMAT_VERSION),
  /** Hash of the config, backbone id and data ids: a checkpoint only resumes the same run. */
  fingerprint: z.string(),
  step: z.number().int().nonnegative(),
  /** The next batch to run is batch `batchInEpoch` (0-based) of epoch `epoch` (1-based). */
  epoch: z.number().int().positive(),
  batchInEpoch: z.number().int().nonnegative(),
  optimizerStep: z.number().int().nonnegative(),
  lossSum: z.number(),
  lossCount: z.number().int().nonnegative(),
  trainMs: z.number().nonnegative(),
  evalsWithoutImprovement: z.number().int().nonnegative(),
  history: z.array(evalPointSchema),
  best: z.object({ acc: z.number().nullable().transform((x) => x ?? Number.NaN), step: z.number() }).nullable(),
  tensorsFile: z.string().regex(/^ckpt-\d+\.safetensors$/),
  savedAt: z.string(),
});
export type CheckpointMeta = z.infer<typeof checkpointMetaSchema>;

/** A stable hash of anything JSON-serialisable. */
export function fingerprint(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}

/**
 * Writes a checkpoint: the tensors to `ckpt-<step>.safetensors`, then `checkpoint.json` pointing at
 * it (each atomically), then removes older tensor files. A crash at any point leaves either the
 * previous checkpoint or the new one readable, never a mix; a failed write (a full disk) leaves the
 * previous one and no debris (temp files, or a tensor file no manifest points at).
 * @throws PandaError `IO_FAILED` naming the file and the reason.
 */
export async function saveCheckpoint(dir: string, meta: Omit<CheckpointMeta, 'tensorsFile' | 'savedAt' | 'formatVersion'>, tensors: Record<string, tf.Tensor>): Promise<void> {
  const tensorsFile = `ckpt-${String(meta.step).padStart(8, '0')}.safetensors`;
  const previous = await readFile(join(dir, MANIFEST), 'utf8').then(
    (raw) => (JSON.parse(raw) as { tensorsFile?: unknown }).tensorsFile,
    () => undefined,
  );
  await saveSafetensors(join(dir, tensorsFile), tensors, { format: 'panda-checkpoint' });
  const full: CheckpointMeta = { ...meta, formatVersion: CHECKPOINT_FORMAT_VERSION, tensorsFile, savedAt: new Date().toISOString() };
  try {
    await writeFileAtomic(join(dir, MANIFEST), JSON.stringify(full, null, 2) + '\n');
  } catch (err) {
    // The previous manifest still points at its own file; this one would only be debris.
    if (previous !== tensorsFile) await unlink(join(dir, tensorsFile)).catch(() => {});
    throw err;
  }
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (/^ckpt-\d+\.safetensors$/.test(name) && name !== tensorsFile) await unlink(join(dir, name)).catch(() => {});
  }
}

/**
 * Reads the checkpoint in `dir`, or returns undefined when there is none. The tensors belong to
 * the caller. A manifest that does not parse, or points at a missing/corrupt tensor file, is a
 * `CHECKPOINT_INVALID` error (never silently ignored: resuming from scratch would lose work).
 */
export async function loadCheckpoint(dir: string): Promise<{ meta: CheckpointMeta; tensors: Record<string, tf.Tensor> } | undefined> {
  let raw: string;
  try {
    raw = await readFile(join(dir, MANIFEST), 'utf8');
  } catch {
    return undefined;
  }
  let parsed: CheckpointMeta;
  try {
    parsed = checkpointMetaSchema.parse(JSON.parse(raw));
  } catch (err) {
    throw new PandaError('CHECKPOINT_INVALID', `${join(dir, MANIFEST)} is not a valid checkpoint manifest: ${(err as Error).message}`, { cause: err });
  }
  const { tensors } = await loadSafetensors(join(dir, parsed.tensorsFile));
  return { meta: parsed, tensors };
}
