import * as tf from '@tensorflow/tfjs-core';
import type { EncoderInput, TrainingEngine, TrainingGrads, TrainingPass } from '@panda/backbones';
import { pairFeatures, type PaddedBatch } from '../model/adaptedModel.js';
import type { Injection } from '../methods/method.js';
import { dropoutSeeds, keyedGrads, microBatchLoss } from './microBatch.js';
import type { StepContext } from './step.js';

/**
 * The gradients of one micro-batch with the frozen encoder's passes on the backbone's training
 * engine (ONNX Runtime), in four parts that together equal TensorFlow.js autodiff of the same loss:
 *   1. the encoder inputs of each tower, with the method's injection (prompt, dropped-out prefix);
 *   2. the engine's forward → sentence embeddings u (and v) [b, hidden];
 *   3. head and loss on TensorFlow.js, differentiated with respect to the head's parameters and the
 *      embeddings (held as variables for the occasion);
 *   4. the engine's backward from dLoss/du → dLoss/d(prompt, prefix), then the chain through the
 *      injection to the method's parameters: the gradient of Σ(injection ⊙ its gradient).
 * Model tuning's trainable copy of the encoder trains there too when the engine takes it: step 4 then
 * gives the weights' gradients directly.
 * @returns undefined when the engine does not take this batch (soft tokens, another encoder, a
 *   cached-feature method): the caller runs autodiff instead. Tensors: the caller owns
 *   the result; nothing else is left.
 */
export async function engineGrads(ctx: StepContext, engine: TrainingEngine, rows: number[], weight: number, step: number): Promise<{ value: tf.Scalar; grads: Record<string, tf.Tensor> } | undefined> {
  const { model, train } = ctx;
  if (ctx.cachedFeatures) return undefined;
  const injection = model.method.training(dropoutSeeds(ctx, rows, step));
  // The frozen encoder, or model tuning's trainable copy (the engine says whether it takes it).
  const encoder = injection.encoder;
  const made: tf.Tensor[] = [];
  const keep = new Set<tf.Tensor>();
  const passes: TrainingPass[] = [];
  try {
    // 1. Inputs (constants here: no gradient is being recorded).
    const padded = tf.tidy(() => model.pad(train, rows) as unknown as tf.TensorContainerObject) as unknown as PaddedBatch;
    made.push(...tensorsOf(padded));
    const towers = padded.idsB && padded.maskB ? [padded, { ids: padded.idsB, mask: padded.maskB }] : [padded];
    const inputs = towers.map((t) => tf.tidy(() => model.encoderInput(t, injection) as unknown as tf.TensorContainerObject) as unknown as EncoderInput);
    for (const input of inputs) made.push(...tensorsOf(input).filter((t) => !(t instanceof tf.Variable)));
    if (!inputs.every((i) => engine.accepts(i, encoder))) return undefined;

    // 2. Forward on the engine.
    for (const input of inputs) passes.push(await engine.forward(input, encoder));
    const embeddings = passes.map((p) => tf.variable(p.embedding, true)); // [b, hidden] each
    made.push(...passes.map((p) => p.embedding), ...embeddings);

    // 3. Head and loss by autodiff: the head's gradients and dLoss/d(embedding) per tower.
    const head = tf.tidy(() => {
      const lossOf = microBatchLoss(ctx, rows, weight, step, () => padded);
      const features = () => (embeddings.length === 2 ? pairFeatures(embeddings[0]!, embeddings[1]!) : embeddings[0]!);
      return tf.variableGrads(() => lossOf(model.head.apply(features())), [...ctx.params.map((p) => p.variable), ...embeddings]);
    });
    made.push(...Object.values(head.grads));
    const gEmbeddings = embeddings.map((e) => head.grads[e.name] as tf.Tensor2D); // [b, hidden] each

    // 4. Backward on the engine, then through the injection to the method's parameters (or the
    //    tuned copy's weight gradients as they come).
    const gInputs: TrainingGrads[] = [];
    for (let i = 0; i < passes.length; i++) {
      const g = await passes[i]!.backward(gEmbeddings[i]!);
      for (const t of [g.prompt, g.prefix, ...Object.values(g.weights ?? {})]) if (t) made.push(t);
      gInputs.push(g);
    }
    const method = gInputs.some((g) => g.prompt || g.prefix) ? injectionGrads(ctx, towers, injection, gInputs, head.grads) : {};
    const weights = summedWeightGrads(gInputs);
    made.push(...Object.values(weights));
    made.push(head.value, ...Object.values(method));
    const grads = keyedGrads(ctx, { ...head.grads, ...method, ...weights });
    for (const t of [head.value, ...Object.values(grads)]) keep.add(t);
    return { value: head.value, grads };
  } finally {
    for (const p of passes) p.release();
    tf.dispose(made.filter((t) => !keep.has(t)));
  }
}

/**
 * The method's parameters' gradients from the injection's: the gradient of Σ(injection ⊙ its
 * gradient) with respect to every parameter not already differentiated (`done`: the head's), which
 * chains through whatever made the injection (a prompt table; a prefix's dropout and reparameterisation).
 */
function injectionGrads(ctx: StepContext, towers: ReadonlyArray<{ ids: tf.Tensor2D; mask: tf.Tensor2D }>, injection: Injection, gInputs: readonly TrainingGrads[], done: Record<string, tf.Tensor>): Record<string, tf.Tensor> {
  return tf.tidy(() => {
    const chain = () =>
      tf.addN(
        towers.flatMap((t, i) => {
          const input = ctx.model.encoderInput(t, injection);
          const g = gInputs[i]!;
          return [...(g.prompt && input.prompt ? [tf.sum(tf.mul(input.prompt, g.prompt))] : []), ...(g.prefix && input.prefix ? [tf.sum(tf.mul(input.prefix, g.prefix))] : [])];
        }),
      ) as tf.Scalar;
    const vars = ctx.params.map((p) => p.variable).filter((v) => !(v.name in done));
    return vars.length ? tf.variableGrads(chain, vars).grads : {};
  });
}

/** Model tuning: the weights' own gradients by variable name, summed over the towers; the caller owns them. */
function summedWeightGrads(gInputs: readonly TrainingGrads[]): Record<string, tf.Tensor> {
  return tf.tidy(() => {
    const sum: Record<string, tf.Tensor> = {};
    for (const g of gInputs) for (const [name, t] of Object.entries(g.weights ?? {})) sum[name] = sum[name] ? tf.add(sum[name]!, t) : t.clone();
    return sum;
  });
}

/** The tensors of a plain object of tensors (one level deep, and `soft`'s). */
function tensorsOf(o: object): tf.Tensor[] {
  return Object.values(o).flatMap((v) => (v instanceof tf.Tensor ? [v] : v && typeof v === 'object' ? Object.values(v).filter((x): x is tf.Tensor => x instanceof tf.Tensor) : []));
}
