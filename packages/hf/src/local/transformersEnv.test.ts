/**
 * panda loads Hugging Face folders through transformers.js without changing transformers.js's
 * process-wide `env`: a host application that uses transformers.js keeps its settings, and panda
 * still never fetches anything.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { env } from '@huggingface/transformers';
import { fixtureDir } from '../testing/fixtures.js';
import { loadHfTokenizer } from '../tokenizer/hfTokenizer.js';
import { OnnxClozeScorer } from '../onnx/clozeScorer.js';
import { localPretrainedPath } from './transformersEnv.js';

const KEYS = ['allowRemoteModels', 'allowLocalModels', 'localModelPath', 'remoteHost', 'useFSCache', 'cacheDir', 'fetch'] as const;
type Snapshot = Partial<Record<(typeof KEYS)[number], unknown>>;
const snapshot = (): Snapshot => Object.fromEntries(KEYS.map((k) => [k, env[k]]));

let saved: Snapshot;
beforeEach(() => {
  saved = snapshot();
});
afterEach(() => {
  Object.assign(env, saved);
});

describe("transformers.js's env belongs to the host", () => {
  it('loading a tokenizer and an ONNX cloze model leaves a host\'s settings as they were, and fetches nothing', async () => {
    // A host that uses the hub for its own models, with its own model folder and fetch.
    const fetchSpy = vi.fn(() => Promise.reject(new Error('panda must not fetch')));
    Object.assign(env, { allowRemoteModels: true, allowLocalModels: true, localModelPath: '/host/models/', remoteHost: 'https://hub.example/', fetch: fetchSpy });
    const host = snapshot();

    const tokenizer = await loadHfTokenizer(fixtureDir('bert'));
    expect(tokenizer.encode('hello world').length).toBeGreaterThan(2);
    const scorer = await OnnxClozeScorer.load(fixtureDir('roberta'));
    expect(scorer.tokenizer.maskId).toBeDefined();

    expect(snapshot()).toEqual(host);
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it('a host that turned local models off gets CONFIG_INVALID, and the setting stays off', async () => {
    env.allowLocalModels = false;
    await expect(localPretrainedPath(fixtureDir('bert'))).rejects.toMatchObject({ code: 'CONFIG_INVALID', details: { setting: 'env.allowLocalModels' } });
    await expect(loadHfTokenizer(fixtureDir('bert'))).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    expect(env.allowLocalModels).toBe(false);
  });

  it('a missing folder is MODEL_NOT_FOUND, before transformers.js is asked', async () => {
    await expect(localPretrainedPath('/nonexistent-panda-model')).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
  });
});
