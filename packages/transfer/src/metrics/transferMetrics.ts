import { z } from 'zod';
import { entryNameSchema, functionSchema, NamedRegistry } from '@panda/datasets';
import { BUILTIN_TRANSFER_METRICS } from './builtinTransferMetrics.js';

/**
 * What a transferability metric reads of a task: its task embedding, the activation rates of the
 * backbone's feed-forward neurons, and its own prompt rows (the grid's `TaskRow` is one).
 */
export interface TaskProfile {
  /** Task embedding (the PANDA metric). */
  readonly embedding: ArrayLike<number>;
  /** Activation rate per feed-forward neuron over the task's sampled examples (ON). */
  readonly activationRate: ArrayLike<number>;
  /** Flat row-major prompt rows [promptRows, d]: soft prompt or deep prefix table (E_avg, SPoT). */
  readonly prompt: ArrayLike<number>;
  readonly promptRows: number;
}

/** A transferability metric: predicts how well a source task's prompt transfers to a target task. */
export interface TransferMetric {
  /** The name reports use (`PANDA`, `E_avg`, ...). */
  name: string;
  description: string;
  /** T(source, target); larger means more transferable. */
  score(source: TaskProfile, target: TaskProfile): number;
}

/** Validates a {@link TransferMetric} registration. */
export const transferMetricSchema = z
  .object({
    name: entryNameSchema,
    description: z.string().min(1),
    score: functionSchema('score'),
  })
  .strict();

const TRANSFER_METRICS = new NamedRegistry<TransferMetric>('transferability metric', { schema: transferMetricSchema, builtins: BUILTIN_TRANSFER_METRICS });

/**
 * Adds a transferability metric; the grid report evaluates every registered metric.
 * @throws PandaError `CONFIG_INVALID` for an invalid definition or a name already registered.
 */
export function registerTransferMetric(metric: TransferMetric): Readonly<TransferMetric> {
  return TRANSFER_METRICS.register(metric);
}

/**
 * The registered metric named `name`.
 * @throws PandaError `CONFIG_INVALID` listing the registered names.
 */
export function transferMetric(name: string): Readonly<TransferMetric> {
  return TRANSFER_METRICS.get(name);
}

/** Every registered metric: the built-ins (PANDA, E_avg, SPoT per-token, ON) first. */
export function listTransferMetrics(): Array<Readonly<TransferMetric>> {
  return TRANSFER_METRICS.list();
}

/** A metric's score function by name, as the old `METRICS` object gave it. */
export type TransferMetricFunction = (source: TaskProfile, target: TaskProfile) => number;

/**
 * A live, read-only view of the registry as a name → score-function record (what the old mutable
 * `METRICS` object was). Writes and deletes throw a TypeError; register metrics with
 * {@link registerTransferMetric} instead.
 */
export function transferMetricRecord(): Readonly<Record<string, TransferMetricFunction>> {
  const fn = (name: string | symbol): TransferMetricFunction | undefined => {
    if (typeof name !== 'string' || !TRANSFER_METRICS.has(name)) return undefined;
    const metric = TRANSFER_METRICS.get(name);
    return (source, target) => metric.score(source, target);
  };
  return new Proxy({} as Record<string, TransferMetricFunction>, {
    get: (_, name) => fn(name),
    has: (_, name) => typeof name === 'string' && TRANSFER_METRICS.has(name),
    ownKeys: () => TRANSFER_METRICS.names(),
    getOwnPropertyDescriptor: (_, name) => {
      const value = fn(name);
      return value ? { value, enumerable: true, configurable: true, writable: false } : undefined;
    },
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
  });
}
