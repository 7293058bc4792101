import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadUseLite, type Backbone } from '@panda/backbones';
import { initBackend } from '@panda/runtime';
import { backboneTensors } from '../testing/backboneTensors.js';
import { Template } from '../syntax/template.js';
import { defaultLabelWords } from '../verbalizers/labelWords.js';
import { SimilarityClassifier } from '../verbalizers/similarity.js';
import { backboneEmbedder } from './embedder.js';

// The real default model on the wasm backend, as everywhere else: a handful of sentences keeps it to
// a few seconds.
let backbone: Backbone;
const tf = backboneTensors();
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  backbone = await loadUseLite();
});
afterAll(() => backbone?.dispose());

// Written for this test (not from a dataset).
const reviews = [
  { text: 'A wonderful, moving film with superb acting.', label: 1 },
  { text: 'I loved every minute of it; a delight from start to finish.', label: 1 },
  { text: 'Brilliant, funny and beautifully made.', label: 1 },
  { text: 'One of the best films of the year.', label: 1 },
  { text: 'A boring, tedious mess that wastes its cast.', label: 0 },
  { text: 'Awful dialogue and a plot that makes no sense.', label: 0 },
  { text: 'I hated it and walked out halfway through.', label: 0 },
  { text: 'The worst film I have seen in years.', label: 0 },
];

describe('zero-shot on USE-Lite (real model)', () => {
  it('classifies clear reviews with a cloze template by similarity, leaking no tensors', async () => {
    const emb = backboneEmbedder(backbone, tf);
    const before = tf.memory().numTensors;
    const clf = new SimilarityClassifier(Template.parse('{text|shorten} It was {mask}.'), defaultLabelWords(['negative', 'positive']));
    const { accuracy, predictions } = await clf.evaluate(reviews, emb);
    expect(tf.memory().numTensors).toBe(before);
    expect(accuracy, `predictions ${predictions}`).toBeGreaterThanOrEqual(0.875);
  });

  it('gives a row the same embedding alone and in a padded batch', async () => {
    const emb = backboneEmbedder(backbone, tf, { cacheSize: 0 });
    const ids = backbone.tokenizer.encode('A wonderful film.');
    const [alone] = await emb.embedIds([ids]);
    const [batched] = await emb.embedIds([ids, backbone.tokenizer.encode('a much longer sentence that forces padding of the first row')]);
    for (let i = 0; i < alone!.length; i++) expect(Math.abs(alone![i]! - batched![i]!)).toBeLessThan(1e-5);
  });

  it('embeds on the inference engine when the backbone has one, as the encoder does (≤ 1e-5)', async () => {
    let engineCalls = 0;
    const found = await backbone.inference!();
    expect(found).toBeDefined();
    const engine = found!;
    const counted = { ...backbone, inference: async () => ({ name: engine.name, accepts: engine.accepts.bind(engine), forward: (i: Parameters<typeof engine.forward>[0]) => (engineCalls++, engine.forward(i)) }) };
    const { inference: _i, ...encoderOnly } = backbone;
    const rows = ['A wonderful film.', 'Dull.', '', 'a much longer sentence that forces padding of the other rows'].map((t) => backbone.tokenizer.encode(t));
    const onEngine = await backboneEmbedder(counted, tf, { cacheSize: 0 }).embedIds(rows);
    const onEncoder = await backboneEmbedder(encoderOnly, tf, { cacheSize: 0 }).embedIds(rows);
    expect(engineCalls).toBeGreaterThan(0);
    for (let r = 0; r < rows.length; r++) for (let i = 0; i < onEncoder[r]!.length; i++) expect(Math.abs(onEngine[r]![i]! - onEncoder[r]![i]!)).toBeLessThan(1e-5);
  });
});
