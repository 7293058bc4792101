/**
 * The ONNX path (transformers.js + onnxruntime-node) on the tiny MLM models the reference script
 * exported with torch.onnx.export, against the reference's float64 logits and label scores; the
 * tfjs MLM head gives the same scores.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { initBackend, decodeSafetensors } from '@panda/runtime';
import { ARCHS, FIXTURES, copyFixture, fixtureDir, type Arch, type ReferenceMeta } from '../testing/fixtures.js';
import { OnnxClozeScorer } from './clozeScorer.js';
import { loadHfBackbone, type HfBackbone } from '../load.js';

const TOL = 1e-4;
const rows: Array<Record<string, string | number>> = [];

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});
afterAll(() => {
  if (rows.length) {
    console.log('cloze scoring (max abs diff vs PyTorch float64 reference)');
    console.table(rows);
  }
});

describe.each(ARCHS)('%s: zero-shot cloze scoring', (arch: Arch) => {
  let scorer: OnnxClozeScorer;
  let backbone: HfBackbone;
  let meta: ReferenceMeta;
  let refLogits: Float32Array;
  beforeAll(async () => {
    scorer = await OnnxClozeScorer.load(fixtureDir(arch));
    backbone = await loadHfBackbone(fixtureDir(arch));
    meta = JSON.parse(await readFile(join(FIXTURES, 'reference', `${arch}.json`), 'utf8')) as ReferenceMeta;
    refLogits = decodeSafetensors(await readFile(join(FIXTURES, 'reference', `${arch}.safetensors`))).tensors['cloze/logits_at_mask']!.data as Float32Array;
  });
  afterAll(async () => {
    await scorer.dispose();
    backbone.dispose();
  });

  it('ONNX: logits at the mask and label scores (first and mean sub-token) equal the reference', async () => {
    const { logits, maskPositions } = await scorer.logitsAtMask(meta.cloze.texts);
    expect(maskPositions).toEqual(meta.cloze.maskPositions);
    const first = await scorer.score(meta.cloze.texts, meta.cloze.labels);
    const mean = await scorer.score(meta.cloze.texts, meta.cloze.labels, { multiToken: 'mean' });
    const row = {
      arch,
      path: 'onnx (transformers.js)',
      logitsAtMask: maxAbs(logits, refLogits),
      scoreFirst: maxAbs(first.scores.flat(), meta.cloze.logProbFirst.flat()),
      scoreMean: maxAbs(mean.scores.flat(), meta.cloze.logProbMean.flat()),
    };
    rows.push({ ...row, logitsAtMask: row.logitsAtMask.toExponential(2), scoreFirst: row.scoreFirst.toExponential(2), scoreMean: row.scoreMean.toExponential(2) });
    expect(row.logitsAtMask).toBeLessThanOrEqual(TOL);
    expect(row.scoreFirst).toBeLessThanOrEqual(TOL);
    expect(row.scoreMean).toBeLessThanOrEqual(TOL);
    expect(first.labelIds).toEqual(meta.cloze.labelIds);
    expect(first.predictions).toEqual(meta.cloze.predictionFirst);
    expect(mean.predictions).toEqual(meta.cloze.predictionMean);
  });

  it('tfjs: the same scores from the safetensors checkpoint', async () => {
    const first = await backbone.clozeScores(meta.cloze.texts, meta.cloze.labels);
    const mean = await backbone.clozeScores(meta.cloze.texts, meta.cloze.labels, { multiToken: 'mean' });
    const row = { arch, path: 'tfjs (safetensors)', scoreFirst: maxAbs(first.scores.flat(), meta.cloze.logProbFirst.flat()), scoreMean: maxAbs(mean.scores.flat(), meta.cloze.logProbMean.flat()) };
    rows.push({ ...row, logitsAtMask: '-', scoreFirst: row.scoreFirst.toExponential(2), scoreMean: row.scoreMean.toExponential(2) });
    expect(row.scoreFirst).toBeLessThanOrEqual(TOL);
    expect(row.scoreMean).toBeLessThanOrEqual(TOL);
    expect(first.predictions).toEqual(meta.cloze.predictionFirst);
  });

  it('refuses texts without exactly one mask and label words it cannot encode', async () => {
    await expect(scorer.score(['no mask here'], meta.cloze.labels)).rejects.toMatchObject({ code: 'TEMPLATE_INVALID' });
    const mask = scorer.tokenizer.maskToken!;
    await expect(scorer.score([`${mask} and ${mask}`], meta.cloze.labels)).rejects.toMatchObject({ code: 'TEMPLATE_INVALID' });
    await expect(scorer.score(meta.cloze.texts, [])).rejects.toMatchObject({ code: 'VERBALIZER_INVALID' });
    if (arch === 'bert') await expect(scorer.score(meta.cloze.texts, ['ümlaut€'])).rejects.toMatchObject({ code: 'VERBALIZER_INVALID' });
  });
});

describe('ONNX loading errors', () => {
  it('a folder without the ONNX file, or without a folder at all, is MODEL_NOT_FOUND', async () => {
    const dir = await copyFixture('bert');
    try {
      await rm(join(dir, 'onnx'), { recursive: true });
      await expect(OnnxClozeScorer.load(dir)).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
      await expect(OnnxClozeScorer.load(join(dir, 'nope'))).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    } finally {
      await rm(join(dir, '..'), { recursive: true, force: true });
    }
  });
});
