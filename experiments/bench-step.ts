/**
 * Training steps on USE-Lite (wasm), by method. Prompt tuning: the current encoder against the
 * pre-optimisation copy in ./baseline/encoderBaseline.ts, timed in one process, interleaved, on the
 * same weights. With `--methods`, also deep prompt tuning (P-tuning v2 prefix, m rows per layer,
 * prefix dropout 0.1 as in training; `deep-prompt-tuning-projection` with the reparameterisation
 * MLP) and model tuning (every encoder weight on a trainable copy), interleaved with the others.
 *
 * The step is the one `tune()` runs (packages/tuner/src/train/tune.ts `trainStep`): forward with the
 * soft prompt, a linear head, mean cross-entropy, `tf.variableGrads` w.r.t. prompt + head, global
 * norm clipping. Inputs: batch 16, m = 16 prompt rows, random ids in [6, 8000), full masks, token
 * lengths T = 16, 32, 84. Also forward-only sentences/s at batch 32 (with the prompt), and the
 * differences between the two implementations (loss, prompt gradient, pooled output).
 *
 *   node --conditions=@panda/source --import tsx experiments/bench-step.ts [--reps 15] [--steps 1] [--warmup 2] [--lengths 16,32,84]
 *     [--methods prompt-tuning,deep-prompt-tuning,model-tuning] [--out file.json]
 *
 * The deep-prompt and model-tuning steps are tune()'s whole step: forward, head, cross-entropy,
 * `variableGrads`, clipping and the AdamW update (for model tuning the update over ~7M weights is a
 * real part of the step). The prompt-tuning step (kept as it was, for comparison with earlier
 * numbers) stops before the AdamW update, which on its ~5k parameters is negligible.
 * `--out` writes `rows`: one `{ method, T, stepsPerSecond, … }` per method and length, and the
 * prompt-tuning comparison with the baseline encoder under `promptTuningVsBaseline`.
 *
 * Each repetition times `--steps` consecutive steps of one implementation; the two implementations
 * alternate (and swap which goes first every repetition) so that load from other processes hits
 * both alike. Reported: the median over repetitions (wall clock, and CPU time of this process), the
 * median of the per-repetition ratios (baseline and new ran back to back, so slow load changes
 * cancel), and the fastest repetition (the least disturbed). Warm-up steps are not timed.
 */
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@panda/core';
import { initBackend } from '@panda/runtime';
import { DeepPrefix, LinearHead, UseLiteEncoder, measureKeyValueStd, type UseLiteForwardInput, type UseLiteForwardOutput } from '@panda/backbones';
import { AdamW, clipByGlobalNorm, crossEntropy, type ParamGroup } from '@panda/tuner';
import { UseLiteEncoderBaseline } from './baseline/encoderBaseline.js';

const { values } = parseArgs({
  options: {
    reps: { type: 'string', default: '15' },
    warmup: { type: 'string', default: '2' },
    steps: { type: 'string', default: '1' },
    lengths: { type: 'string', default: '16,32,84' },
    batch: { type: 'string', default: '16' },
    'fwd-batch': { type: 'string', default: '32' },
    'prompt-length': { type: 'string', default: '16' },
    methods: { type: 'string', default: 'prompt-tuning' },
    out: { type: 'string' },
  },
});
const REPS = Number(values.reps);
const WARMUP = Number(values.warmup);
const STEPS = Number(values.steps);
const LENGTHS = values.lengths!.split(',').map(Number);
const B = Number(values.batch);
const FWD_B = Number(values['fwd-batch']);
const M = Number(values['prompt-length']);
const METHOD_NAMES = ['prompt-tuning', 'deep-prompt-tuning', 'deep-prompt-tuning-projection', 'model-tuning'] as const;
type Method = (typeof METHOD_NAMES)[number];
const METHODS = values.methods!.split(',').map((x) => x.trim()) as Method[];
for (const m of METHODS) if (!METHOD_NAMES.includes(m)) throw new Error(`--methods: unknown method '${m}' (${METHOD_NAMES.join(', ')})`);
if (REPS < 5) throw new Error('--reps must be ≥ 5 (the median needs them)');

interface Encoder {
  forward(input: UseLiteForwardInput): UseLiteForwardOutput;
}

const backend = await initBackend({ backend: 'wasm' });
console.log(backend.report);
console.log(`cpu: ${cpus()[0]?.model ?? '?'} ×${cpus().length}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
const enc = await UseLiteEncoder.load();
const base = new UseLiteEncoderBaseline(enc.weights);
const impls: Array<[string, Encoder]> = [
  ['baseline', base],
  ['new', enc],
];
const withPrompt = METHODS.includes('prompt-tuning');
// σ of USE-Lite's real keys/values, for the deep prefix's default ('matched') initialisation.
const kvStd = measureKeyValueStd(enc, Array.from({ length: 8000 - 6 }, (_, i) => i + 6));

/** One training step of a method, and what it holds (disposed after the length). */
interface Stepper {
  run(): void;
  trainableParams: number;
  dispose(): void;
}

/**
 * Deep prompt tuning's step as tune() runs it: per-example prefix dropout (fresh seeds each step),
 * forward with the prefix, head, cross-entropy, gradients of prefix + head, clipping, AdamW.
 */
function deepStepper(ids: tf.Tensor2D, mask: tf.Tensor2D, labels: tf.Tensor1D, rng: Rng, projection: boolean): Stepper {
  const prefix = new DeepPrefix({ length: M, layout: enc.prefixLayout, rng: rng.fork('prefix'), keyValueStd: kvStd, projection, embedDim: 512, dropout: 0.1 });
  const head = new LinearHead(512, 2, rng.fork('head'));
  const opt = new AdamW([
    { params: prefix.params.map((p) => ({ key: p.key, variable: p.variable })), lr: 0.01, weightDecay: 0 },
    { params: [{ key: 'head/kernel', variable: head.kernel }, { key: 'head/bias', variable: head.bias }], lr: 0.01, weightDecay: 0 },
  ]);
  const vars = opt.params();
  const byName = new Map(vars.map((p) => [p.variable.name, p.key]));
  const seeds = rng.fork('dropout');
  return {
    trainableParams: vars.reduce((a, p) => a + p.variable.size, 0),
    run() {
      const s = Array.from({ length: ids.shape[0] }, () => seeds.int32());
      const { value, grads } = tf.tidy(() => {
        const r = tf.variableGrads(() => crossEntropy(head.apply(enc.forward({ ids, mask, prefix: prefix.trainingTable(s) }).embedding), labels), vars.map((p) => p.variable));
        const keyed: Record<string, tf.Tensor> = {};
        for (const [n, g] of Object.entries(r.grads)) keyed[byName.get(n)!] = g;
        return { value: r.value, grads: clipByGlobalNorm(keyed, 1).grads };
      });
      opt.apply(grads);
      value.dataSync();
      tf.dispose([value, ...Object.values(grads)]);
    },
    dispose() {
      opt.dispose();
      prefix.dispose();
      head.dispose();
    },
  };
}

/** Model tuning's step as tune() runs it: every weight of a trainable copy + the head, AdamW. */
function modelStepper(ids: tf.Tensor2D, mask: tf.Tensor2D, labels: tf.Tensor1D, rng: Rng): Stepper {
  const copy = enc.trainableCopy();
  const head = new LinearHead(512, 2, rng.fork('head'));
  const named = Object.entries(copy.variables()).map(([n, variable]) => ({ key: `encoder/${n}`, variable }));
  const groups: ParamGroup[] = [
    { params: named.filter((p) => p.variable.rank >= 2), lr: 5e-5, weightDecay: 0.01 },
    { params: named.filter((p) => p.variable.rank < 2), lr: 5e-5, weightDecay: 0 },
    { params: [{ key: 'head/kernel', variable: head.kernel }], lr: 0.01, weightDecay: 0.01 },
    { params: [{ key: 'head/bias', variable: head.bias }], lr: 0.01, weightDecay: 0 },
  ];
  const opt = new AdamW(groups);
  const vars = opt.params();
  const byName = new Map(vars.map((p) => [p.variable.name, p.key]));
  return {
    trainableParams: vars.reduce((a, p) => a + p.variable.size, 0),
    run() {
      const { value, grads } = tf.tidy(() => {
        const r = tf.variableGrads(() => crossEntropy(head.apply(copy.forward({ ids, mask }).embedding), labels), vars.map((p) => p.variable));
        const keyed: Record<string, tf.Tensor> = {};
        for (const [n, g] of Object.entries(r.grads)) keyed[byName.get(n)!] = g;
        return { value: r.value, grads: clipByGlobalNorm(keyed, 1).grads };
      });
      opt.apply(grads);
      value.dataSync();
      tf.dispose([value, ...Object.values(grads)]);
    },
    dispose() {
      opt.dispose();
      copy.dispose();
      head.dispose();
    },
  };
}

/** Bytes of tensors alive at the peak of one call of `f` (tf.profile), beyond those alive before. */
async function peakBytes(f: () => void): Promise<number> {
  const start = tf.memory().numBytes;
  const info = await tf.profile(f);
  return info.peakBytes - start;
}

interface MethodRow {
  method: string;
  T: number;
  batch: number;
  /** Prefix / prompt rows (0 for model tuning). */
  m: number;
  /** Median over repetitions, wall clock. */
  stepsPerSecond: number;
  /** Median over repetitions, this process's CPU time. */
  stepsPerSecondCpu: number;
  /** The fastest repetition (the least disturbed by other processes). */
  stepsPerSecondBest: number;
  /** B·T / step time (real tokens; prompt and prefix rows not counted). */
  tokensPerSecond: number;
  trainableParams: number;
  /** Peak bytes of tfjs tensors during one step, above what was alive before it (tf.profile). */
  peakStepBytes: number;
  /** Step time (ms) of this method over the prompt-tuning step of the same repetition (median), if both ran. */
  relativeToPromptTuning?: number;
  stepMs: number[];
}
const methodRows: MethodRow[] = [];

/** Wall-clock and CPU milliseconds (this process, user + system) of `n` calls of `f`, per call. */
function timed(f: () => void, n: number): { wall: number; cpu: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) f();
  const wall = (performance.now() - t0) / n;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000 / n };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

function maxAbs(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

function maxAbsOf(a: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(a)).dataSync()[0]!);
}

/** Random ids in [6, 8000) and a full mask, [b, t]. */
function batchOf(rng: Rng, b: number, t: number): { ids: tf.Tensor2D; mask: tf.Tensor2D } {
  const ids = Int32Array.from({ length: b * t }, () => 6 + rng.int(8000 - 6));
  return { ids: tf.tensor2d(ids, [b, t], 'int32'), mask: tf.ones([b, t]) as tf.Tensor2D };
}

interface Rate {
  baseline: number;
  new: number;
  /** new / baseline of the two rates. */
  ratio: number;
  /**
   * Median over repetitions of baseline time / new time within the repetition (the two ran back to
   * back), which cancels load changes slower than one repetition; with the lowest and highest.
   */
  paired: { median: number; min: number; max: number };
}

interface Row {
  T: number;
  /** From wall-clock time (what a user waits for). */
  stepPerSec: Rate;
  fwdSentPerSec: Rate;
  /** The same from this process's CPU time. */
  cpu: { stepPerSec: Rate; fwdSentPerSec: Rate };
  /** From the fastest repetition (wall clock): the least disturbed by other processes. */
  best: { stepPerSec: Rate; fwdSentPerSec: Rate };
  diff: { loss: number; promptGrad: number; promptGradMax: number; headGrad: number; pooled: number; embedding: number };
  samples: Record<string, Record<string, number[]>>;
}

const rows: Row[] = [];
for (const T of LENGTHS) {
  /** Steps of every method that runs at this length, timed interleaved below. */
  const extra: Array<[Method, Stepper]> = [];
  const rng = new Rng(`bench-step/${T}`);
  const { ids, mask } = batchOf(rng, B, T);
  const labels = tf.tensor1d(Int32Array.from({ length: B }, () => rng.int(2)), 'int32');
  for (const method of METHODS) {
    if (method === 'deep-prompt-tuning' || method === 'deep-prompt-tuning-projection') extra.push([method, deepStepper(ids, mask, labels, rng.fork(method), method.endsWith('projection'))]);
    if (method === 'model-tuning') extra.push([method, modelStepper(ids, mask, labels, rng.fork(method))]);
  }
  const init = Float32Array.from({ length: M * 256 }, () => 0.5 * rng.normal());
  const prompt = tf.variable(tf.tensor2d(init, [M, 256]), true, `bench_prompt_${T}`) as tf.Variable<tf.Rank.R2>;
  const head = new LinearHead(512, 2, rng);
  const trainable = [prompt, ...head.variables()];

  // The training step of tune.ts: returns loss and clipped gradients (the caller disposes them).
  const step = (e: Encoder): { value: tf.Scalar; grads: Record<string, tf.Tensor> } =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(
        () => crossEntropy(head.apply(e.forward({ ids, mask, prompt }).embedding), labels),
        trainable,
      );
      return { value, grads: clipByGlobalNorm(grads, 1).grads };
    });
  const run = (e: Encoder): void => {
    const r = step(e);
    r.value.dataSync();
    tf.dispose([r.value, ...Object.values(r.grads)]);
  };

  // Parity on this shape: loss, gradients (before clipping too), outputs.
  const raw = impls.map(([, e]) =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(
        () => crossEntropy(head.apply(e.forward({ ids, mask, prompt }).embedding), labels),
        trainable,
      );
      const again = e.forward({ ids, mask, prompt });
      return { value, grads, pooled: again.pooled, embedding: again.embedding };
    }),
  );
  const [rb, rn] = raw as [(typeof raw)[0], (typeof raw)[0]];
  const diff = {
    loss: Math.abs(rb.value.dataSync()[0]! - rn.value.dataSync()[0]!),
    promptGrad: maxAbs(rb.grads[prompt.name]!, rn.grads[prompt.name]!),
    promptGradMax: maxAbsOf(rb.grads[prompt.name]!),
    headGrad: Math.max(maxAbs(rb.grads[head.kernel.name]!, rn.grads[head.kernel.name]!), maxAbs(rb.grads[head.bias.name]!, rn.grads[head.bias.name]!)),
    pooled: maxAbs(rb.pooled, rn.pooled),
    embedding: maxAbs(rb.embedding, rn.embedding),
  };
  for (const r of raw) tf.dispose([r.value, r.pooled, r.embedding, ...Object.values(r.grads)]);

  // Timed training steps: every stepper once per repetition, the order rotating each repetition
  // (and reversed every other one) so load from other processes hits all alike.
  const steppers: Array<[string, () => void]> = [
    ...(withPrompt ? impls.map(([name, e]): [string, () => void] => [name, () => run(e)]) : []),
    ...extra.map(([name, st]): [string, () => void] => [name, () => st.run()]),
  ];
  const stepMs: Record<string, number[]> = Object.fromEntries(steppers.map(([n]) => [n, []]));
  const stepCpuMs: Record<string, number[]> = Object.fromEntries(steppers.map(([n]) => [n, []]));
  for (const [, f] of steppers) for (let i = 0; i < WARMUP; i++) f();
  const before = tf.memory().numTensors;
  for (let r = 0; r < REPS; r++) {
    const rotated = steppers.map((_, i) => steppers[(i + r) % steppers.length]!);
    const order = r % 2 ? rotated.reverse() : rotated;
    for (const [name, f] of order) {
      const t = timed(f, STEPS);
      stepMs[name]!.push(t.wall);
      stepCpuMs[name]!.push(t.cpu);
    }
  }
  if (tf.memory().numTensors !== before) throw new Error(`tensor leak in the step: ${tf.memory().numTensors - before}`);
  const peak: Record<string, number> = {};
  for (const [name, f] of steppers) peak[name] = await peakBytes(f);
  const rowFor = (method: string, name: string, m: number, trainableParams: number): MethodRow => {
    const ms = stepMs[name]!;
    const pt = stepMs['new'];
    return {
      method,
      T,
      batch: B,
      m,
      stepsPerSecond: 1000 / median(ms),
      stepsPerSecondCpu: 1000 / median(stepCpuMs[name]!),
      stepsPerSecondBest: 1000 / Math.min(...ms),
      tokensPerSecond: (1000 * B * T) / median(ms),
      trainableParams,
      peakStepBytes: peak[name]!,
      ...(pt && name !== 'new' ? { relativeToPromptTuning: median(ms.map((x, i) => x / pt[i]!)) } : {}),
      stepMs: ms,
    };
  };
  if (withPrompt) methodRows.push(rowFor('prompt-tuning', 'new', M, M * 256 + 512 * 2 + 2));
  for (const [name, st] of extra) methodRows.push(rowFor(name, name, name === 'model-tuning' ? 0 : M, st.trainableParams));
  for (const [, st] of extra) st.dispose();
  if (!withPrompt) {
    tf.dispose([ids, mask, labels, prompt]);
    head.dispose();
    console.log(`T=${T}: step ms ${Object.entries(stepMs).map(([n, xs]) => `${n} [${xs.map((x) => x.toFixed(0)).join(' ')}]`).join('; ')}`);
    continue;
  }

  // Timed forward passes (batch FWD_B, with the prompt, no gradient).
  const fb = batchOf(rng, FWD_B, T);
  const fwd = (e: Encoder): void => {
    const o = e.forward({ ids: fb.ids, mask: fb.mask, prompt });
    o.embedding.dataSync();
    tf.dispose([o.pooled, o.embedding]);
  };
  const fwdMs: Record<string, number[]> = { baseline: [], new: [] };
  const fwdCpuMs: Record<string, number[]> = { baseline: [], new: [] };
  for (const [, e] of impls) for (let i = 0; i < WARMUP; i++) fwd(e);
  for (let r = 0; r < REPS; r++) {
    const order = r % 2 ? [...impls].reverse() : impls;
    for (const [name, e] of order) {
      const t = timed(() => fwd(e), STEPS);
      fwdMs[name]!.push(t.wall);
      fwdCpuMs[name]!.push(t.cpu);
    }
  }
  tf.dispose([fb.ids, fb.mask, ids, mask, labels, prompt]);
  head.dispose();

  const rate = (ms: Record<string, number[]>, per: number, pick: (xs: number[]) => number = median): Rate => {
    const bl = (1000 * per) / pick(ms['baseline']!);
    const nw = (1000 * per) / pick(ms['new']!);
    const pairs = ms['baseline']!.map((x, i) => x / ms['new']![i]!);
    return { baseline: bl, new: nw, ratio: nw / bl, paired: { median: median(pairs), min: Math.min(...pairs), max: Math.max(...pairs) } };
  };
  const fastest = (xs: number[]) => Math.min(...xs);
  const row: Row = {
    T,
    stepPerSec: rate(stepMs, 1),
    fwdSentPerSec: rate(fwdMs, FWD_B),
    cpu: { stepPerSec: rate(stepCpuMs, 1), fwdSentPerSec: rate(fwdCpuMs, FWD_B) },
    best: { stepPerSec: rate(stepMs, 1, fastest), fwdSentPerSec: rate(fwdMs, FWD_B, fastest) },
    diff,
    samples: { stepMs, fwdMs, stepCpuMs, fwdCpuMs },
  };
  rows.push(row);
  const list = (xs: number[]) => `[${xs.map((x) => x.toFixed(0)).join(' ')}]`;
  console.log(
    `T=${T}: step ms ${Object.entries(stepMs).map(([n, xs]) => `${n} ${list(xs)}`).join(' ')}; ` +
      `fwd ms baseline ${list(fwdMs['baseline']!)} new ${list(fwdMs['new']!)}`,
  );
}

const fm = (x: number, d = 2) => x.toFixed(d);
console.log(`\nUSE-Lite training step by method, wasm, batch ${B}, m = ${M}: median of ${REPS} reps × ${STEPS} (warm-up ${WARMUP}), interleaved`);
console.log('| method | T | steps/s | steps/s (CPU time) | steps/s (fastest rep) | tokens/s | step time / prompt-tuning step | trainable params | peak step MiB |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of methodRows) {
  console.log(
    `| ${r.method} | ${r.T} | ${fm(r.stepsPerSecond)} | ${fm(r.stepsPerSecondCpu)} | ${fm(r.stepsPerSecondBest)} | ${fm(r.tokensPerSecond, 0)} | ` +
      `${r.relativeToPromptTuning !== undefined ? `${fm(r.relativeToPromptTuning)}×` : '–'} | ${r.trainableParams} | ${fm(r.peakStepBytes / 2 ** 20, 1)} |`,
  );
}

const f = (x: number, d = 2) => x.toFixed(d);
const e = (x: number) => (x === 0 ? '0' : x.toExponential(1));
const pr = (r: Rate) => `${f(r.paired.median)}× (${f(r.paired.min)}–${f(r.paired.max)})`;
for (const [title, pick] of (rows.length ? [
  ['wall clock', (r: Row) => ({ s: r.stepPerSec, fw: r.fwdSentPerSec })],
  ['CPU time of this process', (r: Row) => ({ s: r.cpu.stepPerSec, fw: r.cpu.fwdSentPerSec })],
] as const : [])) {
  console.log(`\nUSE-Lite prompt-tuning step, wasm, batch ${B}, m = ${M} prompt rows, ${title}: median of ${REPS} reps × ${STEPS} (warm-up ${WARMUP})`);
  console.log(`|  T | steps/s baseline | steps/s new | ratio | paired ratio (range) | fwd sent/s baseline (B=${FWD_B}) | fwd sent/s new | ratio | paired ratio (range) |`);
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const { s, fw } = pick(r);
    console.log(
      `| ${r.T} | ${f(s.baseline)} | ${f(s.new)} | ${f(s.ratio)}× | ${pr(s)} | ${f(fw.baseline, 1)} | ${f(fw.new, 1)} | ${f(fw.ratio)}× | ${pr(fw)} |`,
    );
  }
}
if (rows.length) {
  console.log(`\nfastest repetition (wall clock), best of ${REPS}`);
  console.log(`|  T | steps/s baseline | steps/s new | ratio | fwd sent/s baseline | fwd sent/s new | ratio |`);
  console.log('|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const { stepPerSec: s, fwdSentPerSec: fw } = r.best;
    console.log(`| ${r.T} | ${f(s.baseline)} | ${f(s.new)} | ${f(s.ratio)}× | ${f(fw.baseline, 1)} | ${f(fw.new, 1)} | ${f(fw.ratio)}× |`);
  }
  console.log('\nnew vs baseline, same inputs and weights (max abs differences)');
  console.log('|  T | loss | ∂prompt (max |∂prompt|) | ∂head | pooled | embedding |');
  console.log('|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const d = r.diff;
    console.log(`| ${r.T} | ${e(d.loss)} | ${e(d.promptGrad)} (${f(d.promptGradMax, 4)}) | ${e(d.headGrad)} | ${e(d.pooled)} | ${e(d.embedding)} |`);
  }
}
console.log(`load average at the end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
if (values.out) {
  const meta = { backend: backend.name, cpu: cpus()[0]?.model, cpus: cpus().length, loadAverageEnd: loadavg(), date: new Date().toISOString() };
  const out = { ...meta, batch: B, fwdBatch: FWD_B, promptLength: M, reps: REPS, steps: STEPS, warmup: WARMUP, methods: METHODS, rows: methodRows, promptTuningVsBaseline: rows };
  await writeFile(values.out, JSON.stringify(out, null, 2) + '\n');
  console.log(`wrote ${values.out}`);
}
base.dispose();
enc.dispose();
