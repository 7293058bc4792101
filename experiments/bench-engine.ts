/**
 * The engine benchmark that cannot fool itself: panda and the PyTorch reference, interleaved in
 * one run. A PyTorch process (`experiments/torch/bench_step.py --serve`, OpenBLAS with its AVX-512
 * kernels: OPENBLAS_CORETYPE=SkylakeX in that process only, the kernel it ran read back with
 * threadpoolctl) stays up beside this one; for every cell the two sides alternate — A, B, A, B …,
 * which one goes first swapping every round — after untimed warm-up calls, each timing its own
 * calls with its own clock. A ratio is the median over rounds of (panda time ÷ PyTorch time) of the
 * same round, so load that hits one round hits both sides.
 *
 * Cells: the training step of prompt tuning, deep prompt tuning and model tuning (panda: the
 * trainer's own `trainStep`, on ONNX Runtime's training engine, and the same step on tfjs wasm; PyTorch: forward, head, cross-entropy, backward, clipping,
 * AdamW), batch 16, 16 prompt rows, at T = 32, 64 and 128 (112 for the prompt methods, whose 16 rows
 * take 16 of USE-Lite's 128 positions); and the forward pass at batch 32 (panda on TensorFlow.js
 * and on ONNX Runtime, PyTorch under no_grad). GFLOP/s counts the dense products of the forward
 * (×3 for a step). One thread each (panda's wasm backend is single-threaded; `--threads 2` gives
 * ONNX Runtime and PyTorch two).
 *
 *   node --conditions=@panda/source --import tsx experiments/bench-engine.ts [--quick] [--rounds 7] [--threads 1] [--out docs/results/bench-engine.json]
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@panda/core';
import { initBackend } from '@panda/runtime';
import { LinearHead, loadUseLite, UseLiteOnnxForward, UseLiteOnnxTraining, type Backbone, type TrainingEngine, type UseLiteEncoder } from '@panda/backbones';
import { AdamW, AdaptedModel, methodByName, trainStep, tuneConfigSchema, type EncodedSet, type StepContext } from '@panda/tuner';

const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false }, rounds: { type: 'string' }, threads: { type: 'string', default: '1' }, out: { type: 'string' } } });
const QUICK = args.quick!;
const ROUNDS = Number(args.rounds ?? (QUICK ? 3 : 7));
const THREADS = Number(args.threads);
const WARMUP = QUICK ? 1 : 2;
const B = 16;
const M = 16;
const FWD_B = 32;
const LENGTHS = QUICK ? [32, 64] : [32, 64, 128];
const METHODS = ['prompt-tuning', 'deep-prompt-tuning', 'model-tuning'] as const;

// --- the PyTorch side: one process, JSON lines ---
function torchServer() {
  const child = spawn('/usr/bin/python3', [fileURLToPath(new URL('./torch/bench_step.py', import.meta.url)), '--serve'], {
    env: { ...process.env, OPENBLAS_CORETYPE: 'SkylakeX' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const ask = async (msg: object): Promise<any> => {
    child.stdin!.write(JSON.stringify(msg) + '\n');
    const { value, done } = await lines.next();
    if (done) throw new Error('the PyTorch process ended');
    const reply = JSON.parse(value as string);
    if (!reply.ok) throw new Error(`PyTorch: ${reply.error}`);
    return reply;
  };
  return { ask, close: () => child.stdin!.end(JSON.stringify({ op: 'quit' }) + '\n') };
}

// --- the panda side: the trainer's own step, on random ids ---
function randomSet(rng: Rng, n: number, t: number): EncodedSet {
  return { ids: Array.from({ length: n }, () => Array.from({ length: t }, () => 6 + rng.int(7994))), labels: Array.from({ length: n }, () => rng.int(2)), exampleIds: Array.from({ length: n }, (_, i) => `r${i}`), truncated: 0 };
}

/** The trainer's step of `method`, with its micro-batches on `engine` when given (the trainer's default where ONNX Runtime loads), else on TensorFlow.js autodiff. */
async function pandaStepper(backbone: Backbone, method: string, t: number, engine?: TrainingEngine): Promise<{ run(): Promise<number>; dispose(): void }> {
  const config = tuneConfigSchema.parse({ method, promptLength: M, batchSize: B, maxSeqLength: 128, lr: 0.01, modelLr: 1e-4 });
  const rng = new Rng(1);
  const instance = await methodByName(method).create({ backbone, config, rng });
  const head = new LinearHead(backbone.encoder.hidden, 2, rng.fork('head'));
  const model = new AdaptedModel(backbone, instance, head, { pairs: 'joined', maxSeqLength: 128 });
  const optimizer = new AdamW([{ params: [{ key: 'head/kernel', variable: head.kernel }, { key: 'head/bias', variable: head.bias }], lr: config.headLr, weightDecay: 0 }, ...instance.paramGroups(config)]);
  const ctx: StepContext = { model, config, objective: 'classification', train: randomSet(rng, B, t), params: optimizer.params(), optimizer, teachers: [], teacherCache: [], dropoutRng: rng.fork('dropout'), ...(engine ? { engine } : {}) };
  const rows = Array.from({ length: B }, (_, i) => i);
  let step = 0;
  return { run: () => trainStep(ctx, rows, step++, 1), dispose: () => (optimizer.dispose(), model.dispose()) };
}

/** GFLOP of USE-Lite's forward dense products for b rows of L positions (qkv, attention, out, residual, FFN, head). */
function forwardGflop(b: number, l: number): number {
  const layer = (d: number, residual: boolean) => b * l * (2 * d * 3 * d + 2 * d * 512 + (residual ? 2 * d * 512 : 0) + 2 * 512 * 1536 * 2) + b * 2 * 2 * l * l * d;
  return (layer(256, true) + layer(512, false) + b * 2 * 512 * 512) / 1e9;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Side {
  name: string;
  time(n: number): Promise<number>;
}

/**
 * Alternates the sides for ROUNDS rounds after warm-up. Returns each side's median seconds per
 * call, and per other side the per-round speed of the first side relative to it (its time ÷ the
 * first side's time in the same round: > 1 means the first side is faster).
 */
async function interleave(sides: Side[], perRound: number): Promise<{ seconds: number[]; ratios: number[][] }> {
  for (const s of sides) await s.time(WARMUP);
  const times: number[][] = sides.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 ? [...sides.keys()].reverse() : [...sides.keys()];
    for (const i of order) times[i]!.push((await sides[i]!.time(perRound)) / perRound);
  }
  return { seconds: times.map(median), ratios: times.slice(1).map((t) => t.map((x, r) => x / times[0]![r]!)) };
}

const backend = await initBackend({ backend: 'wasm' });
const backbone = await loadUseLite();
const encoder = backbone.encoder as UseLiteEncoder;
const onnx = await UseLiteOnnxForward.create(encoder, { threads: THREADS });
const trainer = await UseLiteOnnxTraining.create(encoder, { threads: THREADS });
const torch = torchServer();
const started = new Date().toISOString();
const load0 = loadavg();
const rows: Array<Record<string, unknown>> = [];
let blas: unknown;
try {
  for (const method of METHODS) {
    for (const T of LENGTHS) {
      const t = method === 'model-tuning' ? T : Math.min(T, 128 - M);
      const setup = await torch.ask({ op: 'setup', cfg: { method, batch: B, T: t, promptLength: M, threads: THREADS, fwdBatch: FWD_B } });
      blas = setup.blas;
      // The trainer's step as it runs (on the training engine when it loads) and the same step on
      // TensorFlow.js autodiff (the trainer's path before), in the same rounds.
      const onEngine = trainer !== undefined;
      const panda = await pandaStepper(backbone, method, t, onEngine ? trainer : undefined);
      const tfjsStep = onEngine ? await pandaStepper(backbone, method, t) : undefined;
      const timed = (s: { run(): Promise<number> }) => async (n: number) => { const t0 = performance.now(); for (let i = 0; i < n; i++) await s.run(); return (performance.now() - t0) / 1000; };
      const sides: Side[] = [
        { name: 'panda', time: timed(panda) },
        { name: 'torch', time: async (n) => (await torch.ask({ op: 'run', kind: 'step', n })).wall },
        ...(tfjsStep ? [{ name: 'tfjs', time: timed(tfjsStep) }] : []),
      ];
      const r = await interleave(sides, QUICK ? 2 : 3);
      panda.dispose();
      tfjsStep?.dispose();
      const l = t + (method === 'prompt-tuning' ? M : 0);
      const gflop = 3 * forwardGflop(B, l);
      const row = {
        kind: 'step',
        method,
        T: t,
        engine: onEngine ? 'onnxruntime' : 'tfjs',
        pandaMs: +(1000 * r.seconds[0]!).toFixed(1),
        torchMs: +(1000 * r.seconds[1]!).toFixed(1),
        pandaVsTorch: +median(r.ratios[0]!).toFixed(3),
        perRound: r.ratios[0]!.map((x) => +x.toFixed(3)),
        pandaGflops: +(gflop / r.seconds[0]!).toFixed(1),
        torchGflops: +(gflop / r.seconds[1]!).toFixed(1),
        // the same step on TensorFlow.js autodiff (the trainer's path before the training engine)
        ...(tfjsStep ? { tfjsMs: +(1000 * r.seconds[2]!).toFixed(1), tfjsVsTorch: +median(r.ratios[0]!.map((x, i) => x / r.ratios[1]![i]!)).toFixed(3) } : {}),
      };
      rows.push(row);
      console.log(JSON.stringify(row));
    }
  }
  // The forward pass at batch 32, plain and with a 16-row prompt: tfjs, ONNX Runtime, PyTorch.
  for (const T of LENGTHS) {
    for (const withPrompt of [false, true]) {
      const t = withPrompt ? Math.min(T, 128 - M) : T;
      await torch.ask({ op: 'setup', cfg: { method: withPrompt ? 'prompt-tuning' : 'model-tuning', batch: B, T: t, promptLength: M, threads: THREADS, fwdBatch: FWD_B } });
      const rng = new Rng(3);
      const ids = tf.tensor2d(Array.from({ length: FWD_B * t }, () => 6 + rng.int(7994)), [FWD_B, t], 'int32');
      const mask = tf.ones([FWD_B, t]) as tf.Tensor2D;
      const prompt = withPrompt ? (tf.randomNormal([M, 256], 0, 0.5, 'float32', 4) as tf.Tensor2D) : undefined;
      const input = { ids, mask, ...(prompt ? { prompt } : {}) };
      const sides: Side[] = [
        { name: 'tfjs', time: async (n) => { const t0 = performance.now(); for (let i = 0; i < n; i++) { const o = encoder.forward(input); o.embedding.dataSync(); tf.dispose([o.pooled, o.embedding]); } return (performance.now() - t0) / 1000; } },
        { name: 'torch', time: async (n) => (await torch.ask({ op: 'run', kind: 'forward', n })).wall },
        ...(onnx ? [{ name: 'onnx', time: async (n: number) => { const t0 = performance.now(); for (let i = 0; i < n; i++) { const o = await onnx.forward(input); tf.dispose([o.pooled, o.embedding]); } return (performance.now() - t0) / 1000; } }] : []),
      ];
      const r = await interleave(sides, QUICK ? 2 : 4);
      const gflop = forwardGflop(FWD_B, t + (withPrompt ? M : 0));
      const row = {
        kind: 'forward',
        prompt: withPrompt,
        T: t,
        batch: FWD_B,
        tfjsMs: +(1000 * r.seconds[0]!).toFixed(1),
        torchMs: +(1000 * r.seconds[1]!).toFixed(1),
        // speeds relative to PyTorch's (> 1: faster than PyTorch)
        tfjsVsTorch: +median(r.ratios[0]!).toFixed(3),
        ...(onnx ? { onnxMs: +(1000 * r.seconds[2]!).toFixed(1), onnxVsTorch: +median(r.ratios[0]!.map((x, i) => x / r.ratios[1]![i]!)).toFixed(3), onnxVsTfjs: +median(r.ratios[1]!.map((x) => 1 / x)).toFixed(3) } : {}),
        gflops: { tfjs: +(gflop / r.seconds[0]!).toFixed(1), torch: +(gflop / r.seconds[1]!).toFixed(1), ...(onnx ? { onnx: +(gflop / r.seconds[2]!).toFixed(1) } : {}) },
      };
      rows.push(row);
      console.log(JSON.stringify(row));
      tf.dispose([ids, mask, ...(prompt ? [prompt] : [])]);
    }
  }
} finally {
  torch.close();
  await onnx?.dispose();
  await trainer?.dispose();
  backbone.dispose();
}
const report = {
  command: `bench-engine${QUICK ? ' --quick' : ''} --rounds ${ROUNDS} --threads ${THREADS}`,
  started,
  finished: new Date().toISOString(),
  machine: { cpu: cpus()[0]?.model ?? '?', cores: cpus().length, node: process.version, loadBefore: load0.map((x) => +x.toFixed(2)), loadAfter: loadavg().map((x) => +x.toFixed(2)) },
  panda: { backend: backend.report, tfjs: tf.version_core },
  torch: { blas },
  note: 'xVsTorch = speed of x ÷ speed of PyTorch (its time ÷ x\'s time in the same round), median over rounds: ≥ 1 means x is at least as fast',
  rows,
};
if (args.out) writeFileSync(args.out, JSON.stringify(report, null, 2) + '\n');
console.log(JSON.stringify({ torchBlas: blas, load: report.machine }));
