import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadUseLite, type Backbone } from '@panda/backbones';
import { resolveDataDir, sample, sst2Task } from '@panda/datasets';
import { backboneTensors } from '../testing/backboneTensors.js';
import { familyTemplates } from '../families/families.js';
import { defaultLabelWords } from '../verbalizers/labelWords.js';
import { SimilarityClassifier } from '../verbalizers/similarity.js';
import { backboneEmbedder } from './embedder.js';

// Zero-shot on real SST-2 dev rows with the real model (cpu backend in this process: 48 rows keep
// it to seconds). docs/results/templates.md has the 500-row figures on wasm.
let backbone: Backbone;
beforeAll(async () => {
  backbone = await loadUseLite();
});
afterAll(() => backbone?.dispose());

describe('zero-shot SST-2 on USE-Lite', () => {
  it('beats the majority class with a built-in cloze template', async () => {
    const { examples } = await sst2Task.load('dev', { dataDir: resolveDataDir() });
    const dev = sample(examples, 48, 'templates-data-test');
    const words = defaultLabelWords(sst2Task.labels);
    const clf = new SimilarityClassifier(familyTemplates('single', words)[0]!.template, words);
    const { accuracy } = await clf.evaluate(dev, backboneEmbedder(backbone, backboneTensors()));
    const majority = Math.max(...[0, 1].map((c) => dev.filter((x) => x.label === c).length)) / dev.length;
    console.log(`zero-shot accuracy ${accuracy.toFixed(3)} on ${dev.length} rows (majority ${majority.toFixed(3)})`);
    expect(accuracy).toBeGreaterThan(majority + 0.05);
  });
});
