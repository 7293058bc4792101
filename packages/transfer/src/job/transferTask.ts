import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { PandaError, silent, type ProgressListener } from '@panda/core';
import { loadBackbone, type Backbone } from '@panda/backbones';
import { PromptBank } from '@panda/bank';
import { asTrainable, resolveDataDir, type TaskDefinition } from '@panda/datasets';
import { distillConfigSchema, loadRun, parseTuneConfig, tuneConfigSchema, tuneTask, type DistillConfigInput, type TuneConfigInput, type TuneTaskResult } from '@panda/tuner';
import { describeRun, taskEmbeddingConfigSchema, type TaskEmbeddingConfigInput } from '../embedding/taskEmbedding.js';
import { betaFrom, betaMappingSchema, type BetaMapping } from '../beta/beta.js';
import { addRunToBank } from './bankRun.js';

/** Options of `panda transfer` (the main job), validated at the boundary. */
export const transferOptionsSchema = z
  .object({
    k: z.number().int().min(1).default(1).describe('source prompts to use from the bank (the top k by the PANDA metric)'),
    fusion: z
      .enum(['best', 'early', 'late'])
      .default('best')
      .describe("with k > 1: 'best' one teacher per source, keep the best student on dev; 'early' one teacher started from the β-weighted average of the sources' prompts; 'late' one student distilled from all k teachers, each weighted by its β"),
    probeEpochs: z.number().int().min(1).default(1).describe("epochs of the short prompt-tuning run on the target that gives the target's task embedding"),
    beta: betaMappingSchema.default(betaMappingSchema.parse({})),
    distill: distillConfigSchema.default(distillConfigSchema.parse({})),
    embedding: taskEmbeddingConfigSchema.default(taskEmbeddingConfigSchema.parse({})),
    store: z.boolean().default(true).describe('whether the student is stored in the bank with its task embedding (default true; false keeps it out of the bank: `panda transfer --no-store`)'),
    studentLr: z.number().positive().optional().describe('learning rate of the student (default: the tuning lr; the released PANDA script uses 7e-3 against 1e-2)'),
  })
  .strict();
export type TransferOptionsInput = z.input<typeof transferOptionsSchema>;

export interface TransferTaskOptions {
  target: TaskDefinition;
  /** Folder of the prompt bank (sources are read from it; the student is stored in it). */
  bankDir: string;
  /** Folder for the probe, teacher(s) and student runs and `report.json`. */
  outDir: string;
  /** Tuner config of every run (method, prompt length, epochs, caps, ...); must match the bank's prompts. */
  config?: Record<string, unknown>;
  transfer?: TransferOptionsInput;
  dataDir?: string;
  /** Skip and count malformed data rows in every run (the probe, the teachers, the students) instead of failing on the first. */
  skipBadRows?: boolean;
  /** Score at most this many test examples in the teachers' and students' test evaluation. */
  maxTestExamples?: number;
  /** How many bank entries the report's `ranking` lists (at least k; default 10). */
  rankingSize?: number;
  /** A loaded backbone to reuse; default: the one {@link model} names, loaded and disposed here. */
  backbone?: Backbone;
  /** Backbone spec for `loadBackbone`: `use-lite` (default) or a Hugging Face folder. */
  model?: string;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
  /**
   * Runs the teachers' and students' tuning (default: `tuneTask` here, on the target task with the
   * options above). A service hands them to a queue's workers this way; the probe, the retrieval and
   * the bank stay in this process.
   */
  runTune?: (run: TransferRun) => Promise<TuneTaskResult>;
}

/** One teacher or student run of a transfer, as plain data (folders are this process's). */
export interface TransferRun {
  outDir: string;
  config: Record<string, unknown>;
  initFrom?: Array<{ dir: string; weight?: number }>;
  teachers?: Array<{ dir: string; beta: number; name?: string }>;
  distill?: Record<string, unknown>;
  manifest: Record<string, unknown>;
  maxTestExamples?: number;
}

export interface TransferReport {
  target: string;
  method: string;
  targetEmbeddingFrom: { devAccuracy: number; epochs: number };
  sources: Array<{ id: string; task: string; similarity: number; beta: number }>;
  /** The bank entries the sources were chosen from, best first by the PANDA metric; `chosen` marks the k used. */
  ranking: RankedSource[];
  /** What devAccuracy / testAccuracy hold: accuracy, or mean(Pearson, Spearman) for a regression target. */
  metric: string;
  /** Each teacher: the tasks and bank entry ids of its source(s), its scores and its folder. */
  teachers: Array<{ sources: string[]; sourceIds: string[]; devAccuracy: number; testAccuracy?: number; dir: string }>;
  /**
   * The student. With `best` fusion over k > 1 sources, `selectedOnDev` says its dev score is the
   * one it was chosen on (optimistic); `testAccuracy` is then the unbiased figure, and every
   * candidate is listed.
   */
  student: { devAccuracy: number; testAccuracy?: number; dir: string; bankId?: string; selectedOnDev?: boolean; candidates?: Array<{ dir: string; devAccuracy: number; testAccuracy?: number }> };
  seconds: number;
}

/** A source prompt found for a target: the bank entry, the PANDA metric and the β it maps to. */
export interface RetrievedSource {
  id: string;
  task: string;
  similarity: number;
  beta: number;
  /** The source run's adapter folder. */
  dir: string;
}

/** One line of the retrieval ranking: a bank entry, its PANDA metric and β, and whether it was used. */
export interface RankedSource {
  id: string;
  task: string;
  similarity: number;
  beta: number;
  chosen: boolean;
}

/**
 * Retrieval: a short prompt-tuning run on the target (`probeEpochs`, saved in `outDir`) gives the
 * target's prompt, hence its task embedding; the bank's index returns the k most similar source
 * prompts of the same model and method (other tasks only), with their cosine and β, and the
 * ranking they were taken from (the top `rankingSize` entries, default 10).
 */
export async function retrieveSources(options: {
  task: TaskDefinition;
  backbone: Backbone;
  bank: PromptBank;
  outDir: string;
  config: ReturnType<typeof tuneConfigSchema.parse>;
  k: number;
  /** Entries in the returned ranking (at least k; default 10). */
  rankingSize?: number;
  probeEpochs: number;
  embedding?: TaskEmbeddingConfigInput;
  beta?: BetaMapping;
  dataDir?: string;
  /** Skip and count malformed rows in the probe run. */
  skipBadRows?: boolean;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}): Promise<{ embedding: Float32Array; sources: RetrievedSource[]; ranking: RankedSource[]; probe: TuneTaskResult }> {
  const { task, backbone, bank, config } = options;
  const onProgress = options.onProgress ?? silent;
  onProgress({ type: 'log', message: `${task.name}: a ${options.probeEpochs}-epoch prompt run for the target's task embedding` });
  const probe = await tuneTask({
    task,
    backbone,
    outDir: options.outDir,
    evaluateTest: false,
    config: { ...config, epochs: options.probeEpochs },
    onProgress,
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.skipBadRows ? { skipBadRows: true } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const dev = await task.load('dev', { dataDir: resolveDataDir(options.dataDir), skipBadRows: true });
  onProgress({ type: 'phase', phase: 'embedding', done: 0, total: 1, unit: 'tasks' });
  const embedding = (await describeRun(options.outDir, backbone, dev.examples, options.embedding)).embedding;
  onProgress({ type: 'phase', phase: 'embedding', done: 1, total: 1, unit: 'tasks' });
  // hits: best first by cosine of task embeddings (the PANDA metric)
  const hits = bank.query(embedding, { model: backbone.id, k: Math.max(options.k, options.rankingSize ?? 10), excludeTasks: [task.name], method: config.method });
  if (hits.length === 0) throw new PandaError('BANK_EMPTY', `the bank has no ${config.method} prompt of another task for ${backbone.id}`);
  const mapping = options.beta ?? betaMappingSchema.parse({});
  const ranking = hits.map((h, i) => ({ id: h.entry.id, task: h.entry.task, similarity: h.score, beta: betaFrom(h.score, mapping), chosen: i < options.k }));
  const sources = hits.slice(0, options.k).map((h, i) => {
    if (!h.entry.adapterDir) throw new PandaError('BANK_CORRUPT', `bank entry ${h.entry.id} has no adapter folder`);
    const { chosen: _c, ...r } = ranking[i]!;
    return { ...r, dir: h.entry.adapterDir };
  });
  return { embedding, sources, ranking, probe };
}

/**
 * The main job: PANDA on a target task with sources from the prompt bank.
 * 1. A short prompt-tuning run on the target gives its prompt, hence its task embedding.
 * 2. The bank returns the k most similar source prompts (cosine of task embeddings, the PANDA metric).
 * 3. Teacher(s): vanilla prompt transfer (PoT) from the source(s) to the target.
 * 4. Student: a fresh prompt distilled from the teacher(s) with β from the metric.
 * 5. The student is evaluated and stored in the bank with its own task embedding.
 */
export async function transferTask(options: TransferTaskOptions): Promise<TransferReport> {
  const t0 = performance.now();
  const onProgress = options.onProgress ?? silent;
  const opts = transferOptionsSchema.parse(options.transfer ?? {});
  // The tuner's default method (prompt tuning), as in `panda tune`; the bank's prompts must match it.
  const config = parseTuneConfig(options.config);
  if (config.method !== 'prompt-tuning' && config.method !== 'deep-prompt-tuning') {
    throw new PandaError('CONFIG_INVALID', `prompt transfer needs prompt-tuning or deep-prompt-tuning, not ${config.method}`);
  }
  // Classification and regression targets (STS-B) alike; span and choice tasks as text-pair classification.
  const target = asTrainable(options.target);
  const backbone = options.backbone ?? (await loadBackbone(options.model));
  const bank = PromptBank.open(options.bankDir);
  const common = { task: target, backbone, ...(options.dataDir ? { dataDir: options.dataDir } : {}), ...(options.skipBadRows ? { skipBadRows: true } : {}), ...(options.signal ? { signal: options.signal } : {}), onProgress };
  try {
    // 1–2. the target's task embedding from a short prompt run, then the top-k sources from the bank
    const found = await retrieveSources({ ...common, bank, outDir: join(options.outDir, 'probe'), config, k: opts.k, ...(options.rankingSize ? { rankingSize: options.rankingSize } : {}), probeEpochs: opts.probeEpochs, embedding: opts.embedding, beta: opts.beta });
    const probe = found.probe;
    const scored = { ...common, ...(options.maxTestExamples ? { maxTestExamples: options.maxTestExamples } : {}) };
    const train = (run: TransferRun): Promise<TuneTaskResult> =>
      options.runTune ? options.runTune({ ...run, ...(options.maxTestExamples ? { maxTestExamples: options.maxTestExamples } : {}) }) : tuneTask({ ...scored, ...run, config: run.config as TuneConfigInput, ...(run.distill ? { distill: run.distill as DistillConfigInput } : {}) });
    const sources = found.sources;
    onProgress({ type: 'log', message: `sources: ${sources.map((s) => `${s.task} (sim ${s.similarity.toFixed(3)}, β ${s.beta.toFixed(3)})`).join(', ')}` });

    // 3. teacher(s): PoT. Each teacher is named after its bank entry (two entries of one task are two teachers).
    const teacherPlans =
      opts.fusion === 'early'
        ? [{ name: 'early-fusion', from: sources.map((s) => ({ dir: s.dir, weight: Math.max(s.beta, 1e-6) })), sources, beta: sources.reduce((a, s) => a + s.beta, 0) / sources.length }]
        : sources.map((s) => ({ name: s.id, from: [{ dir: s.dir }], sources: [s], beta: s.beta }));
    const teachers: Array<{ dir: string; beta: number; name: string; sources: RetrievedSource[]; result: TuneTaskResult }> = [];
    for (const [i, plan] of teacherPlans.entries()) {
      onProgress({ type: 'log', message: `teacher: prompt transfer from ${plan.sources.map((s) => s.id).join(' + ')}` });
      const dir = join(options.outDir, teacherPlans.length > 1 ? `teacher-${i + 1}-${folderName(plan.name)}` : `teacher-${folderName(plan.name)}`);
      const result = await train({ outDir: dir, initFrom: plan.from, config, manifest: { transfer: { kind: 'pot', sources: plan.sources.map(describeSource) } } });
      teachers.push({ dir, beta: plan.beta, name: plan.name, sources: plan.sources, result });
    }

    // 4. student(s): fresh prompt + KD
    const studentConfig = { ...config, ...(opts.studentLr ? { lr: opts.studentLr } : {}) };
    const groups = opts.fusion === 'late' ? [teachers] : teachers.map((t) => [t]);
    const students: Array<{ result: TuneTaskResult; dir: string }> = [];
    for (const [i, group] of groups.entries()) {
      const dir = join(options.outDir, groups.length > 1 ? `student-${i + 1}` : 'student');
      onProgress({ type: 'log', message: `student: distilled from ${group.map((t) => `${t.name} (β ${t.beta.toFixed(3)})`).join(', ')}` });
      const result = await train({
        outDir: dir,
        config: studentConfig,
        teachers: group.map((t) => ({ dir: t.dir, beta: t.beta, name: t.name })),
        distill: opts.distill,
        manifest: { transfer: { kind: 'panda', fusion: opts.fusion, sources: group.flatMap((t) => t.sources).map(describeSource) } },
      });
      students.push({ result, dir });
    }
    // 'best' with k > 1 picks the student with the best dev score: that score is the one it was
    // selected on, so the report marks it, and the test score (when there is one) is the unbiased one.
    const best = students.reduce((a, b) => (b.result.metrics.devScore > a.result.metrics.devScore ? b : a));

    // 5. store the student
    let bankId: string | undefined;
    if (opts.store) {
      onProgress({ type: 'phase', phase: 'bank', done: 0, total: 1, unit: 'prompts' });
      const entry = await addRunToBank({ bank, backbone, runDir: best.dir, task: target, id: `${target.name}/${config.method}/panda-${new Date().toISOString().replace(/[:.]/g, '-')}`, embedding: opts.embedding, ...(options.dataDir ? { dataDir: options.dataDir } : {}) });
      bankId = entry.id;
      onProgress({ type: 'phase', phase: 'bank', done: 1, total: 1, unit: 'prompts' });
      onProgress({ type: 'log', message: `stored the student in the bank as ${bankId}` });
    }
    const m = best.result.metrics;
    return {
      target: target.name,
      method: config.method,
      targetEmbeddingFrom: { devAccuracy: probe.metrics.devScore, epochs: opts.probeEpochs },
      sources: sources.map(({ dir: _d, ...s }) => s),
      ranking: found.ranking,
      metric: m.metric,
      teachers: teachers.map((t) => ({ sources: t.sources.map((s) => s.task), sourceIds: t.sources.map((s) => s.id), devAccuracy: t.result.metrics.devScore, ...(t.result.metrics.testScore !== undefined ? { testAccuracy: t.result.metrics.testScore } : {}), dir: t.dir })),
      student: {
        devAccuracy: m.devScore,
        ...(m.testScore !== undefined ? { testAccuracy: m.testScore } : {}),
        dir: best.dir,
        ...(bankId ? { bankId } : {}),
        ...(students.length > 1 ? { selectedOnDev: true, candidates: students.map((c) => ({ dir: c.dir, devAccuracy: c.result.metrics.devScore, ...(c.result.metrics.testScore !== undefined ? { testAccuracy: c.result.metrics.testScore } : {}) })) } : {}),
      },
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    bank.close();
    if (!options.backbone) backbone.dispose();
  }
}

/** A bank entry id as a folder name: path separators and other odd characters become '_'. */
function folderName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
}

/** What a run manifest records of a source. */
function describeSource(s: RetrievedSource): Omit<RetrievedSource, 'dir'> {
  const { dir: _dir, ...rest } = s;
  return rest;
}
