import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { getBackboneLoader, listBackbones, loadBackbone, registerBackbone, type Backbone } from '@panda/backbones';
import { initBackend } from '@panda/runtime';
import { FIXTURES, fixtureDir } from './testing/fixtures.js';
import { HF_SPEC_PREFIX, hfBackboneLoader, registerHfBackbones } from './register.js';

const loaded: Backbone[] = [];
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});
afterAll(() => {
  for (const b of loaded) b.dispose();
});

describe('registerHfBackbones', () => {
  it('registers the hf loader once, after USE-Lite; calling it again is fine', () => {
    registerHfBackbones();
    registerHfBackbones();
    expect(listBackbones().map((l) => l.name)).toEqual(['use-lite', 'hf']);
    expect(getBackboneLoader('hf')).toBe(hfBackboneLoader);
    expect(() => registerBackbone({ ...hfBackboneLoader })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it('loads a local checkpoint folder, with or without the hf: prefix, as a tokenizer-pair backbone', async () => {
    registerHfBackbones();
    for (const spec of [fixtureDir('bert'), `${HF_SPEC_PREFIX}${fixtureDir('roberta')}`]) {
      const backbone = await loadBackbone(spec);
      loaded.push(backbone);
      expect(backbone.id).toMatch(/^hf:(bert|roberta):tiny-/);
      expect(backbone.pairEncoding).toBe('tokenizer');
      expect(backbone.tokenizer.encodePair).toBeTypeOf('function');
    }
    const pair = loaded[0]!.tokenizer.encodePair!('a film', 'the movie', 6);
    expect(pair).toMatchObject({ truncated: true });
    expect(pair.typeIds).toHaveLength(6);
    expect(pair.typeIds.at(-1)).toBe(1);
  });

  it('a folder without config.json is no hf spec; hf: with a missing folder is MODEL_NOT_FOUND', async () => {
    registerHfBackbones();
    expect(hfBackboneLoader.matches(FIXTURES)).toBe(false);
    expect(hfBackboneLoader.matches('use-lite')).toBe(false);
    await expect(loadBackbone(FIXTURES)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(loadBackbone(`${HF_SPEC_PREFIX}${join(FIXTURES, 'no-such-model')}`)).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
  });
});
