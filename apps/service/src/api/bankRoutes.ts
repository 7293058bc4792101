import { z } from 'zod';
import { PandaError } from '@panda/core';
import { cosine, type BankEntry, type PromptBank } from '@panda/bank';
import type { PromptStore } from '../inference/promptStore.js';
import type { InferenceClient } from '../inference/inferenceClient.js';
import type { ServiceDir } from '../storage/serviceDir.js';
import { LoadedRun } from '../inference/runLoader.js';
import { route, type RouteSpec } from './route.js';
import {
  bankAddSchema,
  bankEntryParams,
  bankEntrySchema,
  bankHitSchema,
  bankListQuerySchema,
  bankSearchSchema,
  similarityQuerySchema,
  similaritySchema,
} from './schemas.js';

export function bankSummary(e: BankEntry): z.infer<typeof bankEntrySchema> {
  return { id: e.id, task: e.task, model: e.model, method: e.method, dim: e.embedding.length, metrics: e.metrics ?? null, hasAdapter: e.adapterDir !== null, createdAt: e.createdAt };
}

/**
 * Task-by-task cosine similarity of the bank's task embeddings (one model): each task's vector is
 * the mean of its entries' embeddings. What the web page draws as the heatmap.
 */
export function taskSimilarity(bank: PromptBank, model?: string): z.infer<typeof similaritySchema> {
  const models = bank.models();
  const chosen = model ?? models.sort((a, b) => b.entries - a.entries)[0]?.model;
  if (!chosen) return { model: null, tasks: [], entries: [], matrix: [] };
  const byTask = new Map<string, Float32Array[]>();
  for (const e of bank.list({ model: chosen })) {
    const list = byTask.get(e.task) ?? [];
    list.push(e.embedding);
    byTask.set(e.task, list);
  }
  const tasks = [...byTask.keys()].sort();
  const means = tasks.map((t) => {
    const vs = byTask.get(t)!;
    const m = new Float32Array(vs[0]!.length);
    for (const v of vs) for (let i = 0; i < m.length; i++) m[i]! += v[i]! / vs.length;
    return m;
  });
  return {
    model: chosen,
    tasks,
    entries: tasks.map((t) => byTask.get(t)!.length),
    matrix: means.map((a) => means.map((b) => cosine(a, b))),
  };
}

/**
 * A task embedding of a run on the service's backbone is as wide as the backbone's sentence
 * embedding (what `describeRun` gives and every bank entry of that model holds): anything else is
 * refused with DIMENSION_MISMATCH before the bank is touched. A run of another backbone is left to
 * the bank's own check (the width of that model's entries).
 */
async function checkWidth(inference: InferenceClient | undefined, backbone: string, width: number): Promise<void> {
  if (!inference) return;
  const info = await inference.backboneInfo();
  if (info.id !== backbone || info.hidden === width) return;
  throw new PandaError('DIMENSION_MISMATCH', `a task embedding of a run on ${backbone} has ${info.hidden} numbers (the backbone's sentence embedding), this one has ${width}`, {
    details: { model: backbone, expected: info.hidden, actual: width },
  });
}

/** The prompt bank over HTTP: list, look up, add a trained prompt, remove, search, and the similarity matrix. */
export function bankRoutes(bank: PromptBank, prompts: PromptStore, dir: ServiceDir, inference?: InferenceClient): RouteSpec<any, any, any>[] {
  return [
    route({
      method: 'get',
      path: '/api/bank',
      operationId: 'listBank',
      summary: 'prompt-bank entries (optionally of one task, model or method), oldest first',
      tag: 'bank',
      query: bankListQuerySchema,
      response: { description: 'the entries', schema: z.object({ entries: z.array(bankEntrySchema), size: z.number().int() }) },
      handler: ({ query }) => ({ entries: bank.list(query).map(bankSummary), size: bank.size() }),
    }),
    route({
      method: 'get',
      path: '/api/bank/similarity',
      operationId: 'bankSimilarity',
      summary: 'cosine similarity between the stored tasks\u2019 embeddings (the heatmap on the web page)',
      tag: 'bank',
      query: similarityQuerySchema,
      response: { description: 'task labels and the matrix', schema: similaritySchema },
      handler: ({ query }) => taskSimilarity(bank, query.model),
    }),
    route({
      method: 'get',
      path: '/api/bank/entries/:id',
      operationId: 'getBankEntry',
      summary: 'one bank entry',
      tag: 'bank',
      params: bankEntryParams,
      response: { description: 'the entry', schema: bankEntrySchema },
      errors: { 404: 'no such entry' },
      handler: ({ params }) => bankSummary(bank.get(params.id)),
    }),
    route({
      method: 'delete',
      path: '/api/bank/entries/:id',
      operationId: 'removeBankEntry',
      summary: 'remove an entry (and the bank\u2019s copy of its prompt)',
      tag: 'bank',
      params: bankEntryParams,
      response: { description: 'removed', schema: z.object({ removed: z.string() }) },
      errors: { 404: 'no such entry' },
      handler: ({ params }) => {
        const before = prompts.locate(params.id);
        bank.remove(params.id);
        if (before) prompts.forget(before);
        return { removed: params.id };
      },
    }),
    route({
      method: 'post',
      path: '/api/bank',
      operationId: 'addToBank',
      summary: 'put a stored prompt in the bank with its task embedding',
      description: 'Task, model and method come from the run; its dev/test accuracy become the entry\u2019s metrics; the bank keeps its own copy of the run folder.',
      tag: 'bank',
      body: bankAddSchema,
      status: 201,
      response: { description: 'the new entry', schema: bankEntrySchema },
      errors: { 404: 'no such stored prompt', 409: 'an entry with this id exists (send replace: true)', 422: 'embedding of the wrong width for the model' },
      handler: async ({ body }) => {
        const summary = await prompts.summary(body.promptId);
        await checkWidth(inference, summary.backbone, body.embedding.length);
        const runDir = dir.runDir(body.promptId);
        const metrics = Object.fromEntries(Object.entries(summary.metrics).filter(([, v]) => typeof v === 'number' && Number.isFinite(v))) as Record<string, number>;
        const input = {
          id: body.id ?? `${summary.task}/${summary.method}/${body.promptId}`,
          task: summary.task,
          model: summary.backbone,
          method: summary.method,
          embedding: body.embedding,
          adapterDir: runDir,
          metrics,
        };
        const entry = body.replace ? bank.replace(input) : bank.add(input);
        const located = prompts.locate(entry.id);
        if (located) prompts.forget(located);
        return bankSummary(entry);
      },
    }),
    route({
      method: 'post',
      path: '/api/bank/search',
      operationId: 'searchBank',
      summary: 'the bank entries nearest to a task embedding (cosine), best first',
      tag: 'bank',
      body: bankSearchSchema,
      response: { description: 'the hits', schema: z.object({ hits: z.array(bankHitSchema) }) },
      errors: { 404: 'the entry named by `like` does not exist', 409: 'the bank is empty, or holds no entry of this model', 422: 'embedding of the wrong width' },
      handler: ({ body }) => {
        const like = body.like ? bank.get(body.like) : undefined;
        const embedding = like ? like.embedding : body.embedding!;
        const model = body.model ?? like?.model ?? bank.models()[0]?.model;
        if (!model) throw new PandaError('BANK_EMPTY', 'the prompt bank is empty');
        const hits = bank.query(embedding, {
          model,
          k: body.k,
          ...(body.excludeTasks ? { excludeTasks: body.excludeTasks } : like ? { excludeTasks: [like.task] } : {}),
          ...(body.method ? { method: body.method } : {}),
        });
        return { hits: hits.map((h) => ({ entry: bankSummary(h.entry), score: h.score })) };
      },
    }),
  ];
}

/** Checks that a bank entry's prompt loads on the backbone (used by tests and the CLI). */
export async function loadBankPrompt(entry: BankEntry, backbone: Parameters<typeof LoadedRun.load>[1]): Promise<LoadedRun> {
  if (!entry.adapterDir) throw new PandaError('ENTRY_UNKNOWN', `bank entry ${entry.id} has no trained prompt`);
  return LoadedRun.load(entry.adapterDir, backbone);
}
