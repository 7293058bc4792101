/**
 * Issue 3, one measurement: prompt tuning, deep prompt tuning and model tuning on USE-Lite, on the
 * same real tasks (SST-2, RTE, CB), several seeds each. Per run: accuracy (best epoch on dev; test
 * where the task has a labelled test split), trainable parameters, training steps per second, peak
 * RSS of the process and peak tfjs tensor bytes (sampled at each step event, i.e. between steps:
 * weights, optimiser moments, best-weight copies; and the intra-step peak, activations and
 * gradients included, from a hook on the engine's tensor tracking).
 *
 * Every (task, method, seed) cell runs in its own child process (this script with --worker), so the
 * child's peak RSS belongs to that run alone. The parent appends each finished cell to --out
 * (written atomically after every cell) and skips cells already there, so a crash loses nothing and
 * rerunning the same command resumes.
 *
 *   node --conditions=@panda/source --import tsx experiments/use-lite-methods.ts \
 *     --tasks sst2,rte,cb --methods prompt-tuning,deep-prompt-tuning,model-tuning --seeds 1,2,3 \
 *     --caps 'sst2=1000/500/3,rte=400/277/2,cb=250/56/3' --out experiments/results/use-lite-methods.json
 *
 * Caps per task: --caps 'sst2=1000/500/3,rte=400/277/2,cb=250/56/3' (the default; train rows / dev rows / epochs;
 * a cap at or above the split's size uses all of it). Learning rates: --lr (prompt or prefix, and
 * the head) and --model-lr (encoder weights in model tuning), fixed before any run.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

type Method = 'prompt-tuning' | 'deep-prompt-tuning' | 'model-tuning';

interface Cap {
  train: number;
  dev: number;
  epochs: number;
}

interface CellSpec {
  task: string;
  method: Method;
  seed: number;
  cap: Cap;
  promptLength: number;
  lr: number;
  modelLr: number;
  batchSize: number;
}

// The caps of docs/results/backbones.md (USE-Lite section) (sized to fit about an hour of one core).
const DEFAULT_CAPS = 'sst2=1000/500/3,rte=400/277/2,cb=250/56/3';

const { values } = parseArgs({
  options: {
    worker: { type: 'string' },
    tasks: { type: 'string', default: 'sst2,rte,cb' },
    methods: { type: 'string', default: 'prompt-tuning,deep-prompt-tuning,model-tuning' },
    seeds: { type: 'string', default: '1,2,3' },
    caps: { type: 'string', default: DEFAULT_CAPS },
    'prompt-length': { type: 'string', default: '16' },
    lr: { type: 'string', default: '0.01' },
    'model-lr': { type: 'string', default: '5e-5' },
    'batch-size': { type: 'string', default: '16' },
    out: { type: 'string', default: 'experiments/results/use-lite-methods.json' },
  },
});

if (values.worker) await worker(JSON.parse(values.worker) as CellSpec);
else await parent();

/** One cell, in this (child) process: tune, then print one `RESULT {json}` line. */
async function worker(spec: CellSpec): Promise<void> {
  const tf = await import('@tensorflow/tfjs-core');
  const { initBackend } = await import('@panda/runtime');
  const { loadUseLite } = await import('@panda/backbones');
  const { getTask } = await import('@panda/datasets');
  const { tuneTask } = await import('@panda/tuner');
  const { experimentDataDir } = await import('./dataDir.js');
  const t0 = performance.now();
  const backend = await initBackend({ log: (m: string) => console.error(m) });
  const backbone = await loadUseLite();
  const task = getTask(spec.task);
  let peakTensorBytes = tf.memory().numBytes;
  let peakTensors = tf.memory().numTensors;
  const baseTensorBytes = tf.memory().numBytes;
  // Intra-step peak: tfjs's own byte count (what tf.memory().numBytes and tf.profile's peakBytes
  // report) checked after every tensor the engine tracks; a wrapper on the engine instance, one
  // comparison per tensor, no profiling (which would time each kernel).
  const engine = tf.engine() as unknown as { state: { numBytes: number }; trackTensor: (...a: unknown[]) => void };
  const track = engine.trackTensor.bind(engine);
  let peakLiveBytes = engine.state.numBytes;
  engine.trackTensor = (...a: unknown[]): void => {
    track(...a);
    if (engine.state.numBytes > peakLiveBytes) peakLiveBytes = engine.state.numBytes;
  };
  const sample = (): void => {
    const m = tf.memory();
    if (m.numBytes > peakTensorBytes) peakTensorBytes = m.numBytes;
    if (m.numTensors > peakTensors) peakTensors = m.numTensors;
  };
  let lastCpu: NodeJS.CpuUsage | undefined;
  let trainCpuMicros = 0;
  const r = await tuneTask({
    task,
    backbone,
    dataDir: experimentDataDir(),
    config: {
      method: spec.method,
      seed: spec.seed,
      epochs: spec.cap.epochs,
      maxTrainExamples: spec.cap.train,
      maxEvalExamples: spec.cap.dev,
      promptLength: spec.promptLength,
      lr: spec.lr,
      headLr: spec.lr,
      modelLr: spec.modelLr,
      batchSize: spec.batchSize,
    },
    onProgress: (e) => {
      // CPU time of the training steps alone (user + system of this process between step events,
      // evaluation intervals left out): steps per CPU-second is less sensitive than steps per wall
      // second to other jobs on a shared machine.
      if (e.type === 'start') lastCpu = process.cpuUsage();
      if (e.type === 'step') {
        const now = process.cpuUsage();
        if (lastCpu) trainCpuMicros += now.user - lastCpu.user + now.system - lastCpu.system;
        lastCpu = now;
        sample();
        if (e.step === 1 || e.step % 25 === 0) console.error(`  step ${e.step}/${e.total} loss ${e.loss?.toFixed(4)} ${e.stepsPerSecond?.toFixed(2)} steps/s`);
      } else if (e.type === 'eval') {
        lastCpu = process.cpuUsage();
        sample();
        console.error(`  epoch ${e.epoch}: dev ${((e.metrics?.['devAccuracy'] ?? NaN) * 100).toFixed(2)} % train loss ${(e.metrics?.['trainLoss'] ?? NaN).toFixed(4)}`);
      }
    },
  });
  sample();
  backbone.dispose();
  const usage = process.resourceUsage();
  const out = {
    ...spec,
    backend: backend.name,
    devAccuracy: r.metrics.devAccuracy,
    testAccuracy: r.metrics.testAccuracy ?? null,
    bestStep: r.metrics.bestStep,
    lastEpochDevAccuracy: r.history.at(-1)?.devScore ?? null,
    trainableParams: r.trainableParams,
    steps: r.steps,
    stepsPerSecond: r.stepsPerSecond,
    trainSeconds: r.trainSeconds,
    trainCpuSeconds: trainCpuMicros / 1e6,
    stepsPerCpuSecond: r.steps / (trainCpuMicros / 1e6),
    workerSeconds: (performance.now() - t0) / 1000,
    sizes: r.sizes,
    truncated: r.truncated,
    history: r.history,
    peakRssMiB: usage.maxRSS / 1024,
    peakTensorMiB: peakTensorBytes / 2 ** 20,
    peakLiveTensorMiB: peakLiveBytes / 2 ** 20,
    baseTensorMiB: baseTensorBytes / 2 ** 20,
    peakTensors,
    userCpuSeconds: usage.userCPUTime / 1e6,
    config: r.config,
  };
  process.stdout.write(`RESULT ${JSON.stringify(out)}\n`);
}

function parseCaps(text: string): Record<string, Cap> {
  const caps: Record<string, Cap> = {};
  for (const part of text.split(',')) {
    const [task, rest] = part.split('=');
    const [train, dev, epochs] = (rest ?? '').split('/').map(Number);
    if (!task || !train || !dev || !epochs) throw new Error(`bad --caps entry '${part}' (want task=train/dev/epochs)`);
    caps[task] = { train, dev, epochs };
  }
  return caps;
}

function cellKey(c: Pick<CellSpec, 'task' | 'method' | 'seed' | 'cap' | 'promptLength' | 'lr' | 'modelLr' | 'batchSize'>): string {
  return JSON.stringify([c.task, c.method, c.seed, c.cap.train, c.cap.dev, c.cap.epochs, c.promptLength, c.lr, c.modelLr, c.batchSize]);
}

async function parent(): Promise<void> {
  const { writeFileAtomic } = await import('@panda/runtime');
  const caps = parseCaps(values.caps!);
  const tasks = values.tasks!.split(',');
  const methods = values.methods!.split(',') as Method[];
  const seeds = values.seeds!.split(',').map(Number);
  const outPath = values.out!;
  mkdirSync(dirname(outPath), { recursive: true });
  let file: { machine: string; node: string; runs: Array<Record<string, unknown>> };
  try {
    file = JSON.parse(await readFile(outPath, 'utf8'));
  } catch {
    file = { machine: `${cpus()[0]?.model} x${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`, node: process.version, runs: [] };
  }
  const done = new Set(file.runs.map((r) => cellKey(r as unknown as CellSpec)));
  const script = fileURLToPath(import.meta.url);
  const t0 = performance.now();
  for (const task of tasks) {
    const cap = caps[task];
    if (!cap) throw new Error(`no cap for task ${task} in --caps`);
    for (const method of methods) {
      for (const seed of seeds) {
        const spec: CellSpec = {
          task,
          method,
          seed,
          cap,
          promptLength: Number(values['prompt-length']),
          lr: Number(values.lr),
          modelLr: Number(values['model-lr']),
          batchSize: Number(values['batch-size']),
        };
        if (done.has(cellKey(spec))) {
          console.log(`skip ${task} ${method} seed ${seed} (in ${outPath})`);
          continue;
        }
        const started = new Date().toISOString();
        const loadBefore = loadavg();
        console.log(`${started} ${task} ${method} seed ${seed} caps ${cap.train}/${cap.dev}/${cap.epochs} (load ${loadBefore.map((x) => x.toFixed(2)).join(' ')})`);
        const c0 = performance.now();
        const result = await runChild(script, spec);
        const wallSeconds = (performance.now() - c0) / 1000;
        const row = { ...result, started, wallSeconds, loadavgBefore: loadBefore, loadavgAfter: loadavg() };
        file.runs.push(row);
        await writeFileAtomic(outPath, JSON.stringify(file, null, 2) + '\n');
        const pct = (x: unknown): string => (typeof x === 'number' ? (x * 100).toFixed(2) : '-');
        console.log(
          `  => dev ${pct(result['devAccuracy'])} % test ${pct(result['testAccuracy'])} %, ${result['trainableParams']} params, ${result['steps']} steps at ${(result['stepsPerSecond'] as number).toFixed(2)} steps/s, ` +
            `RSS ${(result['peakRssMiB'] as number).toFixed(0)} MiB, tensors ${(result['peakTensorMiB'] as number).toFixed(1)} MiB (in-step ${(result['peakLiveTensorMiB'] as number).toFixed(1)}), wall ${wallSeconds.toFixed(0)} s`,
        );
      }
    }
  }
  console.log(`all cells done; this invocation ran ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

function runChild(script: string, spec: CellSpec): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=@panda/source', '--import', 'tsx', script, '--worker', JSON.stringify(spec)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => process.stderr.write(d));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 || !line) reject(new Error(`worker for ${spec.task} ${spec.method} seed ${spec.seed} exited ${code}`));
      else resolve(JSON.parse(line.slice('RESULT '.length)) as Record<string, unknown>);
    });
  });
}
