import { availableParallelism } from 'node:os';
import { PandaError } from '@panda/core';

type Ort = typeof import('onnxruntime-node');
let ort: Promise<Ort | undefined> | undefined;

/**
 * onnxruntime-node when it loads (an optional dependency: its CPU binaries ship in the npm
 * package), else undefined — callers then keep the TensorFlow.js path. `PANDA_ONNX=0` turns it off.
 */
export function loadOnnxRuntime(): Promise<Ort | undefined> {
  if (process.env.PANDA_ONNX === '0') return Promise.resolve(undefined);
  ort ??= import('onnxruntime-node').then(
    (m) => ((m as unknown as { default?: Ort }).default ?? m) as Ort,
    () => undefined,
  );
  return ort;
}

/**
 * ONNX Runtime's intra-op threads when a caller gives none: $PANDA_ONNX_THREADS, else the cores
 * (at most 4). Pool workers get 1 (`ProcessPool` sets the variable), since a pool runs one process
 * per core.
 */
export function defaultOnnxThreads(): number {
  return Number(process.env.PANDA_ONNX_THREADS) || Math.min(4, availableParallelism());
}

/** A feed or a result: data and dims (float32, or int32 for ids). */
export interface OnnxTensorData {
  data: Float32Array | Int32Array;
  dims: readonly number[];
}

/** An onnxruntime session over a generated model, run on the CPU execution provider. */
export class OnnxSession {
  private constructor(
    private readonly ort: Ort,
    private readonly session: Awaited<ReturnType<Ort['InferenceSession']['create']>>,
  ) {}

  /**
   * @param model the serialised model, or the path of its file
   * @param threads intra-op threads (default {@link defaultOnnxThreads})
   * @throws `BACKEND_UNAVAILABLE` when onnxruntime-node does not load; `INTERNAL` when the model is refused
   */
  static async create(model: Uint8Array | string, options: { threads?: number } = {}): Promise<OnnxSession> {
    const ort = await loadOnnxRuntime();
    if (!ort) throw new PandaError('BACKEND_UNAVAILABLE', 'onnxruntime-node is not installed or does not load here');
    try {
      const threads = options.threads ?? defaultOnnxThreads();
      // Pool threads that spin between runs keep a core busy while panda's own thread works between
      // runs (the head, the optimiser, HTTP): measured, 30 short runs 20 ms apart used 1,043 ms of CPU
      // spinning against 421 ms without. So they sleep when idle.
      const session = await ort.InferenceSession.create(model as Uint8Array, {
        executionProviders: ['cpu'],
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
        ...(threads > 1 ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
      });
      return new OnnxSession(ort, session);
    } catch (err) {
      throw new PandaError('INTERNAL', `onnxruntime refused a generated model: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }

  async run(feeds: Record<string, OnnxTensorData>): Promise<Record<string, OnnxTensorData>> {
    const inputs = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new this.ort.Tensor(v.data instanceof Float32Array ? 'float32' : 'int32', v.data, [...v.dims])]));
    const out = await this.session.run(inputs);
    return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { data: t.data as Float32Array, dims: t.dims }]));
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
