import type { UseLiteGraphVariant } from './onnxGraph.js';

/**
 * The forward values USE-Lite's backward graph reads (`onnxBackward.ts`), which the training
 * forward outputs: per layer its input, the scaled queries, keys, values, attention weights, the
 * FFN's input residual and ReLU output; the output head's tanh and embedding. Weight gradients
 * (model tuning) also read the attention's merged heads and the pooled mean.
 */
export function savedValueKeys(layers: number, variant: Pick<UseLiteGraphVariant, 'weights'> = {}): string[] {
  const perLayer = ['x', 'q', 'k', 'v', 'p', ...(variant.weights ? ['merged'] : []), 'h1', 'f1'];
  return [...Array.from({ length: layers }, (_, li) => perLayer.map((k) => `l${li}/${k}`)).flat(), ...(variant.weights ? ['pooled'] : []), 'y', 'embedding'];
}
