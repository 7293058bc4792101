import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@panda/runtime';
import type { Backbone } from '../backbone.js';
import { USE_LITE_ID } from '../use-lite/backbone.js';
import type { BackboneLoader } from './backboneLoader.js';
import { getBackboneLoader, listBackbones, loadBackbone, registerBackbone } from './registry.js';
import { useLiteLoader } from './useLiteLoader.js';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

/** A third-party loader: specs `fake:<name>`, a backbone that is only an id. */
const fake: BackboneLoader = {
  name: 'fake',
  description: "a test backbone: spec 'fake:<name>'",
  matches: (spec) => spec.startsWith('fake:'),
  load: (spec) => Promise.resolve({ id: spec, dispose: () => undefined } as unknown as Backbone),
};

describe('backbone registry', () => {
  let useLite: Backbone | undefined;
  afterAll(() => useLite?.dispose());

  it('starts with USE-Lite, the default spec, matched by name and by its full id', async () => {
    expect(listBackbones()[0]).toEqual({ name: 'use-lite', description: useLiteLoader.description });
    expect(getBackboneLoader('use-lite')).toBe(useLiteLoader);
    expect(useLiteLoader.matches(USE_LITE_ID)).toBe(true);
    expect(useLiteLoader.matches('use-lite-large')).toBe(false);
    useLite = await loadBackbone();
    expect(useLite.id).toBe(USE_LITE_ID);
    expect(useLite.pairEncoding).toBe('two-tower');
  });

  it('loads through a registered third-party loader; a name registered twice is refused', async () => {
    registerBackbone(fake);
    expect(listBackbones().map((l) => l.name)).toEqual(['use-lite', 'fake']);
    expect((await loadBackbone('fake:x')).id).toBe('fake:x');
    expect(() => registerBackbone({ ...fake, matches: () => true })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => registerBackbone(fake)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => registerBackbone({ ...fake, name: '' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it('the first matching loader wins, in registration order', async () => {
    registerBackbone({ ...fake, name: 'greedy', load: () => Promise.reject(new Error('not reached')) });
    expect((await loadBackbone('fake:y')).id).toBe('fake:y');
  });

  it('an unknown spec is CONFIG_INVALID, listing the loaders and what they accept', async () => {
    const err = await loadBackbone('bert-base-uncased').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CONFIG_INVALID', details: { spec: 'bert-base-uncased' } });
    const message = (err as Error).message;
    for (const l of listBackbones()) expect(message).toContain(`${l.name} (${l.description})`);
    expect(message).toContain("'use-lite'");
  });
});
