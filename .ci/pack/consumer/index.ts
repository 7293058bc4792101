// A third-party consumer of @panda/tuner, installed from the packed tarballs by .ci/pack-check (a
// plain npm project outside the workspace): load USE-Lite, embed two sentences, register a small
// task over CSV files, tune a few steps of prompt tuning, save the run, load it back and predict.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cosine, isPandaError, type ProgressEvent } from '@panda/core';
import { initBackend } from '@panda/runtime';
import { loadUseLite } from '@panda/backbones';
import { fileTask, getTask, registerTask } from '@panda/datasets';
import { loadAdaptedModel, padBatch, tuneTask, type EncodedSet } from '@panda/tuner';

const started = Date.now();
const backend = await initBackend();
console.log(`backend: ${backend.report}`);
const backbone = await loadUseLite();
console.log(`backbone: ${backbone.id} (hidden ${backbone.encoder.hidden})`);

// 1. Embed two sentences with the frozen encoder.
const sentences = ['The parcel arrived two days late.', 'My delivery came later than promised.'];
const set: EncodedSet = { ids: sentences.map((s) => backbone.tokenizer.encode(s)), labels: [0, 0], exampleIds: ['a', 'b'], truncated: 0 };
const batch = padBatch(set, [0, 1], backbone.tokenizer.padId);
const { pooled, embedding } = backbone.encoder.forward({ ids: batch.ids, mask: batch.mask });
const [u, v] = (await embedding.array()) as number[][];
pooled.dispose();
embedding.dispose();
batch.ids.dispose();
batch.mask.dispose();
console.log(`embedding: ${u!.length} dims; cos(${JSON.stringify(sentences[0])}, ${JSON.stringify(sentences[1])}) = ${cosine(u!, v!).toFixed(4)}`);

// 2. A small task over the user's own CSV files, registered by name.
const dir = await mkdtemp(join(tmpdir(), 'panda-consumer-'));
try {
  const good = ['a wonderful film', 'great acting and a moving story', 'i loved every minute', 'superb and funny', 'a delight from start to end', 'warm, clever and beautifully shot'];
  const bad = ['a dull mess', 'boring and far too long', 'i hated it', 'awful script', 'a waste of two hours', 'flat, lifeless and badly acted'];
  const rows = (texts: string[], label: string) => texts.map((t) => `"${t}",${label}`);
  await writeFile(join(dir, 'train.csv'), ['review,sentiment', ...rows(good.slice(0, 4), 'pos'), ...rows(bad.slice(0, 4), 'neg')].join('\n') + '\n');
  await writeFile(join(dir, 'dev.csv'), ['review,sentiment', ...rows(good.slice(4), 'pos'), ...rows(bad.slice(4), 'neg')].join('\n') + '\n');
  registerTask(fileTask({ name: 'reviews', files: { train: join(dir, 'train.csv'), dev: join(dir, 'dev.csv') }, columns: { text: 'review', label: 'sentiment' }, labels: ['neg', 'pos'] }));
  const task = getTask('reviews');
  console.log(`task: ${task.name} (${task.type}, labels ${task.labels.join('/')}, splits ${task.splits.join('/')})`);

  // 3. A few steps of prompt tuning (frozen encoder, 4 soft prompt rows and a linear head), saved.
  const out = join(dir, 'run');
  const losses: string[] = [];
  const result = await tuneTask({
    task,
    backbone,
    outDir: out,
    config: { method: 'prompt-tuning', promptLength: 4, epochs: 3, batchSize: 4, lr: 0.05, headLr: 0.05, seed: 7 },
    onProgress: (e: ProgressEvent) => {
      if (e.type === 'step' && e.loss !== undefined) losses.push(e.loss.toFixed(3));
    },
  });
  console.log(`train loss by step: ${losses.join(' ')}`);
  console.log(`tuned: ${result.steps} steps in ${result.trainSeconds.toFixed(1)} s; dev ${result.metrics.metric} ${result.metrics.devScore.toFixed(3)} (best step ${result.metrics.bestStep})`);
  console.log(`saved: ${result.files.map((f) => f.replace(out + '/', '')).join(', ')}`);

  // 4. Load the run back on the same backbone and predict.
  const { model, adapter } = await loadAdaptedModel(out, backbone);
  try {
    const texts = ['what a lovely, moving film', 'a tedious and boring waste of time'];
    const logits = await model.setLogits(model.encode(texts.map((text, i) => ({ id: String(i), text, label: 0 }))), 8);
    const values = (await logits.array()) as number[][];
    logits.dispose();
    for (const [i, row] of values.entries()) {
      const max = Math.max(...row);
      const exp = row.map((x) => Math.exp(x - max));
      const sum = exp.reduce((a, b) => a + b, 0);
      const best = row.indexOf(max);
      console.log(`predict: ${JSON.stringify(texts[i])} -> ${adapter.labels[best]} (p = ${(exp[best]! / sum).toFixed(3)})`);
    }
  } finally {
    model.dispose();
  }
} catch (err) {
  if (isPandaError(err)) console.error(`panda error ${err.code}: ${err.message}`);
  throw err;
} finally {
  backbone.dispose();
  await rm(dir, { recursive: true, force: true });
}
console.log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
