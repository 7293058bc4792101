/** Test helpers: the committed fixtures made by experiments/hf-reference/make_fixtures.py. */
import { cp, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { decodeSafetensors } from '@panda/runtime';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures');
export type Arch = 'bert' | 'roberta';
export const ARCHS: readonly Arch[] = ['bert', 'roberta'];

export function fixtureDir(arch: Arch): string {
  return join(FIXTURES, `tiny-${arch}`);
}

export interface ReferenceMeta {
  sentences: string[];
  ids: number[][];
  batch: { texts: string[]; padId: number };
  prefixRows: number;
  promptRows: number;
  cloze: {
    texts: string[];
    labels: string[];
    labelIds: number[][];
    maskPositions: number[];
    logProbFirst: number[][];
    logProbMean: number[][];
    predictionFirst: number[];
    predictionMean: number[];
  };
}

/** The reference tensors (as tfjs tensors; the caller disposes them) and the JSON side. */
export async function loadReference(arch: Arch): Promise<{ tensors: Record<string, tf.Tensor>; meta: ReferenceMeta }> {
  const raw = decodeSafetensors(await readFile(join(FIXTURES, 'reference', `${arch}.safetensors`))).tensors;
  const tensors: Record<string, tf.Tensor> = {};
  for (const [k, t] of Object.entries(raw)) tensors[k] = tf.tensor(t.data, t.shape, t.dtype);
  const meta = JSON.parse(await readFile(join(FIXTURES, 'reference', `${arch}.json`), 'utf8')) as ReferenceMeta;
  return { tensors, meta };
}

/** max |a − b| (shapes must agree). */
export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  if (a.shape.join() !== b.shape.join()) throw new Error(`shape [${a.shape}] vs [${b.shape}]`);
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

/** A writable copy of a fixture folder in a fresh temp dir. */
export async function copyFixture(arch: Arch): Promise<string> {
  const dir = join(await mkdtemp(join(tmpdir(), `panda-hf-${arch}-`)), `tiny-${arch}`);
  await cp(fixtureDir(arch), dir, { recursive: true });
  return dir;
}
