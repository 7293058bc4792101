/** Typed progress events shared by long-running work (training, evaluation, data loading). */
export type ProgressEvent =
  | { type: 'start'; phase: string; total: number; message?: string }
  | { type: 'step'; phase: string; step: number; total: number; loss?: number; stepsPerSecond?: number }
  | { type: 'eval'; phase: string; epoch: number; metrics: Record<string, number> }
  /**
   * Progress through work that is not optimiser steps (scoring dev or test, computing features,
   * storing in the bank): `done` of `total` `unit`s (examples, by default) of `phase`.
   */
  | { type: 'phase'; phase: string; done: number; total: number; unit?: string }
  | { type: 'log'; message: string }
  | { type: 'done'; phase: string; metrics?: Record<string, number> };

export type ProgressListener = (event: ProgressEvent) => void;

/** A listener that ignores everything; the default for library calls. */
export const silent: ProgressListener = () => {};
