/**
 * The service on a Hugging Face backbone (`model`: the tiny BERT checkpoint) with the example
 * plugin (`plugins`): health names both, the plugin's task is listed and trainable by name, a job
 * trains the plugin's bias-only method in its own process on that backbone, and prediction
 * through the service reproduces the run's own dev accuracy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { client, readEvents, testService } from './testing/fixtures.js';

const MODEL = fileURLToPath(new URL('../../../packages/hf/fixtures/tiny-bert', import.meta.url));
const PLUGIN = fileURLToPath(new URL('../../../examples/plugin-example/src/index.ts', import.meta.url));

type Service = Awaited<ReturnType<typeof testService>>;
let service: Service;
let api: ReturnType<typeof client>;
beforeAll(async () => {
  service = await testService({ model: MODEL, plugins: [PLUGIN] });
  api = client(service.url);
});
afterAll(async () => {
  await service?.close();
});

describe('the service with model and plugins', () => {
  it('reports the model and the plugins, and lists the plugin task', async () => {
    const health = (await api.get('/api/health')).body;
    expect(health).toMatchObject({ ok: true, model: MODEL });
    expect(health.plugins).toEqual(['hf', 'example']);
    const tasks = (await api.get('/api/tasks')).body.tasks;
    expect(tasks.find((t: any) => t.name === 'tickets')).toMatchObject({ labels: ['routine', 'urgent'], trainable: true });
  });

  it('trains the plugin method on the Hugging Face backbone in a job, and predicts as the run scored dev', async () => {
    const created = await api.post('/api/jobs', { task: 'tickets', config: { method: 'bias-only', epochs: 1, batchSize: 16, modelLr: 1e-3, maxSeqLength: 32 } });
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    await readEvents(service.url, created.body.id);
    const job = (await api.get(`/api/jobs/${created.body.id}`)).body;
    expect(job.status, JSON.stringify(job.error)).toBe('done');
    expect(job.result.backboneId).toBe('hf:bert:tiny-bert');
    expect(job.result.metrics.metric).toBe('balanced_accuracy');
    const adapter = JSON.parse(await readFile(join(service.root, 'runs', job.id, 'panda_adapter.json'), 'utf8'));
    expect(adapter).toMatchObject({ method: 'bias-only', backboneSpec: MODEL });

    const dev = (await readFile(fileURLToPath(new URL('../../../examples/plugin-example/data/dev.tsv', import.meta.url)), 'utf8')).trim().split('\n').slice(1).map((l) => l.split('\t') as [string, string]);
    const r = await api.post('/api/predict', { items: dev.map(([text]) => ({ promptId: job.id, text })) });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const accuracy = r.body.predictions.filter((p: any, i: number) => p.label === dev[i]![1]).length / dev.length;
    expect(accuracy).toBe(job.result.metrics.devAccuracy);
  });
});
