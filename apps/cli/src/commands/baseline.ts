import type { TaskDefinition } from '@panda/datasets';
import { tuneTask, type TuneConfig, type TuneTaskResult } from '@panda/tuner';
import type { RunOptions } from '../config/runOptions.js';
import { dataDirOption } from '../config/dataDir.js';

/** The cheap baseline a user would try first, scored like the run it stands beside. */
export interface Baseline {
  method: 'linear-probe';
  metric: string;
  devScore: number;
  testScore?: number;
  seconds: number;
}

/**
 * A linear probe on the frozen encoder, trained on the same rows as the run (same seed, caps, pair
 * encoding and sequence length, so the same sampled examples) and scored by the same metric.
 * Nothing is saved. Cheap: the probe's features are computed once, on the inference engine.
 */
export async function linearProbeBaseline(task: TaskDefinition, config: TuneConfig, run: RunOptions): Promise<Baseline> {
  const t0 = performance.now();
  const { seed, epochs, batchSize, maxTrainExamples, maxEvalExamples, maxSeqLength, pairEncoding, evalBatchSize, headLr } = config;
  const r = await tuneTask({
    task,
    config: { method: 'linear-probe', seed, epochs, batchSize, headLr, evalBatchSize, maxSeqLength, ...(maxTrainExamples ? { maxTrainExamples } : {}), ...(maxEvalExamples ? { maxEvalExamples } : {}), ...(pairEncoding ? { pairEncoding } : {}) },
    ...(run.model ? { model: run.model } : {}),
    ...dataDirOption(run.dataDir),
    ...(run.maxTest ? { maxTestExamples: run.maxTest } : {}),
    skipBadRows: run.skipBadRows,
  });
  return { method: 'linear-probe', metric: r.metrics.metric, devScore: r.metrics.devScore, ...(r.metrics.testScore !== undefined ? { testScore: r.metrics.testScore } : {}), seconds: (performance.now() - t0) / 1000 };
}

/** One line for people: the baseline's scores and by how much the run beats or trails it. */
export function baselineLine(result: TuneTaskResult | { devScore: number; testScore?: number }, b: Baseline): string {
  const metrics = 'metrics' in result ? result.metrics : result;
  const pts = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(2)}`;
  const fmt = (x: number | undefined) => (x === undefined ? '-' : b.metric === 'accuracy' ? `${(100 * x).toFixed(2)} %` : x.toFixed(4));
  const dev = metrics.devScore - b.devScore;
  const test = metrics.testScore !== undefined && b.testScore !== undefined ? metrics.testScore - b.testScore : undefined;
  return (
    `baseline        linear probe on the same rows: dev ${fmt(b.devScore)}, test ${fmt(b.testScore)} (${b.seconds.toFixed(1)} s); ` +
    (dev === 0 ? `this run ties it on dev` : `this run ${dev > 0 ? 'beats' : 'trails'} it by ${pts(dev)} points on dev`) +
    (test !== undefined ? `, ${pts(test)} on test` : '')
  );
}
