import { describe, expect, it } from 'vitest';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeSafetensors } from '@panda/runtime';
import { FIXTURES, ARCHS, copyFixture, fixtureDir, type ReferenceMeta } from '../testing/fixtures.js';
import { loadHfTokenizer } from './hfTokenizer.js';

async function meta(arch: string): Promise<ReferenceMeta> {
  return JSON.parse(await readFile(join(FIXTURES, 'reference', `${arch}.json`), 'utf8')) as ReferenceMeta;
}

/** The cloze batch ids the reference script wrote (padded rows, pad ids stripped by the mask). */
async function clozeRows(arch: string): Promise<number[][]> {
  const t = decodeSafetensors(await readFile(join(FIXTURES, 'reference', `${arch}.safetensors`))).tensors;
  const ids = t['cloze/ids']!;
  const mask = t['cloze/mask']!;
  const [b, n] = ids.shape as [number, number];
  return Array.from({ length: b }, (_, i) => Array.from(ids.data.subarray(i * n, (i + 1) * n)).filter((_, j) => mask.data[i * n + j] === 1));
}

describe.each(ARCHS)('%s tokenizer through transformers.js (strictly local)', (arch) => {
  it("gives the reference script's ids for every fixture sentence and cloze text", async () => {
    const tok = await loadHfTokenizer(fixtureDir(arch), { arch });
    const m = await meta(arch);
    expect(m.sentences.map((s) => tok.encode(s))).toEqual(m.ids);
    expect(m.cloze.texts.map((s) => tok.encode(s))).toEqual(await clozeRows(arch));
    expect(m.cloze.labels.map((w) => tok.encodePlain(` ${w}`))).toEqual(m.cloze.labelIds);
    expect(tok.padId).toBe(m.batch.padId);
    expect(tok.maskId).toBe(arch === 'bert' ? 4 : tok.vocabSize - 1);
  });

  it('builds the same tokenizer from the legacy vocabulary files when tokenizer.json is absent', async () => {
    const dir = await copyFixture(arch);
    try {
      await rm(join(dir, 'tokenizer.json'));
      const tok = await loadHfTokenizer(dir, { arch });
      const m = await meta(arch);
      expect(m.sentences.map((s) => tok.encode(s))).toEqual(m.ids);
      expect(m.cloze.texts.map((s) => tok.encode(s))).toEqual(await clozeRows(arch));
      await rm(join(dir, arch === 'bert' ? 'vocab.txt' : 'merges.txt'));
      await expect(loadHfTokenizer(dir, { arch })).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    } finally {
      await rm(join(dir, '..'), { recursive: true, force: true });
    }
  });
});
