import { z } from 'zod';

/**
 * Everything the service takes; the CLI's `panda serve` builds its flags and help from these
 * descriptions, and a config file is checked against the same schema.
 */
export const serviceOptionsSchema = z
  .object({
    dir: z.string().min(1).default('panda-service').describe('service data directory: the jobs database, trained runs, uploaded datasets and the prompt bank live under it, and no request reaches outside it'),
    host: z.string().min(1).default('127.0.0.1').describe('interface to listen on (0.0.0.0 for every interface)'),
    port: z.number().int().min(0).max(65535).default(8080).describe('TCP port (0: any free port)'),
    token: z.string().min(8).optional().describe('access token: when set, every /api request needs the header "Authorization: Bearer <token>" (default: $PANDA_TOKEN, else open)'),
    maxJobs: z.number().int().min(1).max(64).default(1).describe('training jobs that run at the same time (each in its own process); more wait in the queue'),
    maxQueued: z.number().int().min(1).max(10_000).default(100).describe('jobs that may wait in the queue; beyond it a new job is refused with 429'),
    maxJsonBytes: z.number().int().min(1024).default(1024 * 1024).describe('largest JSON request body, in bytes (413 beyond it)'),
    maxUploadBytes: z.number().int().min(1024).default(10 * 1024 * 1024).describe('largest uploaded dataset file, in bytes (413 beyond it)'),
    maxPredictItems: z.number().int().min(1).max(10_000).default(256).describe('most items one prediction request may carry'),
    promptCache: z.number().int().min(1).max(1000).default(16).describe('trained prompts kept loaded for prediction (least recently used are dropped)'),
    checkpointEvery: z.number().int().min(1).default(20).describe('jobs save a checkpoint every this many steps, so an interrupted job resumes where it stopped'),
    dataDir: z.string().min(1).optional().describe('benchmark data directory for named tasks (default: $PANDA_DATA_DIR, else ./data; `panda serve` run from the workspace sources: ../shared/data beside the workspace)'),
    backend: z.enum(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']).optional().describe('TensorFlow.js backend for prediction and jobs (default: first that loads; or $PANDA_BACKEND)'),
    model: z.string().min(1).default('use-lite').describe("backbone every job trains on and prediction runs on: 'use-lite' or a local Hugging Face BERT/RoBERTa folder (with config.json); a plugin may add others"),
    grids: z.array(z.string().min(1)).default([]).describe("grid folders written by 'panda grid' (each holds grid.sqlite) that the web page shows, besides every <dir>/grids/<name>/"),
    queue: z.string().min(1).optional().describe("run training jobs on 'panda worker's through a BullMQ queue on Redis (redis://host:port, rediss:// for TLS) instead of local processes; the service still writes its runs and bank itself (retrieval and transfer jobs run here)"),
    queueName: z.string().min(1).optional().describe('the BullMQ queue of --queue (default panda-tune; workers must use the same)'),
    plugins: z.array(z.string().min(1)).default([]).describe('plugin modules to load at start (paths or package names): their tasks, metrics, tuning methods and backbones serve requests and jobs'),
    cancelGraceSeconds: z.number().positive().max(86_400).default(30).describe('seconds a cancelled job may take to react to the cancel before its process is killed (once it reacts, it always gets to save its best weights)'),
    maxPredictQueue: z.number().int().min(1).max(10_000).default(16).describe('prediction requests the inference process holds at once (running or waiting); beyond it a request is refused with 503'),
    allowedHosts: z.array(z.string().min(1)).default([]).describe("Host header values served besides localhost, 127.0.0.1, [::1] and the listening address ('name' or 'name:port'; '*' serves any): a request for another host is refused with 403 (DNS rebinding)"),
    allowedOrigins: z.array(z.string().min(1)).default([]).describe("origins (e.g. 'https://ui.example') whose pages may send state-changing requests besides the service's own; another Origin is refused with 403 ('*' allows any)"),
  })
  .strict();

export type ServiceOptions = z.infer<typeof serviceOptionsSchema>;
export type ServiceOptionsInput = z.input<typeof serviceOptionsSchema>;
