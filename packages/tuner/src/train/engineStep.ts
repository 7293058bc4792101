import * as tf from '@tensorflow/tfjs-core';
import type { EncoderInput, TrainingEngine, TrainingPass } from '@panda/backbones';
import { pairFeatures, type PaddedBatch } from '../model/adaptedModel.js';
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
 * @returns undefined when the engine does not take this batch (model tuning's tuned encoder,
 *   soft tokens, a cached-feature method): the caller runs autodiff instead. Tensors: the caller owns
 *   the result; nothing else is left.
 */
export async function engineGrads(ctx: StepContext, engine: TrainingEngine, rows: number[], weight: number, step: number): Promise<{ value: tf.Scalar; grads: Record<string, tf.Tensor> } | undefined> {
  const { model, train } = ctx;
  if (ctx.cachedFeatures) return undefined;
  const injection = model.method.training(dropoutSeeds(ctx, rows, step));
  if (injection.encoder !== model.backbone.encoder) return undefined;
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
    if (!inputs.every((i) => engine.accepts(i))) return undefined;

    // 2. Forward on the engine.
    for (const input of inputs) passes.push(await engine.forward(input));
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

    // 4. Backward on the engine, then through the injection to the method's parameters.
    const gInputs: Array<{ prompt?: tf.Tensor; prefix?: tf.Tensor }> = [];
    for (let i = 0; i < passes.length; i++) {
      const g = await passes[i]!.backward(gEmbeddings[i]!);
      made.push(...Object.values(g));
      gInputs.push(g);
    }
    const method = tf.tidy(() => {
      const chain = () =>
        tf.addN(
          towers.flatMap((t, i) => {
            const input = model.encoderInput(t, injection);
            const g = gInputs[i]!;
            return [...(g.prompt && input.prompt ? [tf.sum(tf.mul(input.prompt, g.prompt))] : []), ...(g.prefix && input.prefix ? [tf.sum(tf.mul(input.prefix, g.prefix))] : [])];
          }),
        ) as tf.Scalar;
      const vars = ctx.params.map((p) => p.variable).filter((v) => !(v.name in head.grads));
      return vars.length ? tf.variableGrads(chain, vars).grads : {};
    });
    made.push(head.value, ...Object.values(method));
    const grads = keyedGrads(ctx, { ...head.grads, ...method });
    for (const t of [head.value, ...Object.values(grads)]) keep.add(t);
    return { value: head.value, grads };
  } finally {
    for (const p of passes) p.release();
    tf.dispose(made.filter((t) => !keep.has(t)));
  }
}

/** The tensors of a plain object of tensors (one level deep, and `soft`'s). */
function tensorsOf(o: object): tf.Tensor[] {
  return Object.values(o).flatMap((v) => (v instanceof tf.Tensor ? [v] : v && typeof v === 'object' ? Object.values(v).filter((x): x is tf.Tensor => x instanceof tf.Tensor) : []));
}
