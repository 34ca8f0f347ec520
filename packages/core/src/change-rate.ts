/**
 * Change rates C_k = ‖∂ℓ/∂W_k‖ / ‖W_k‖ under a random linear loss ℓ = mean over the batch of Σ g ⊙ y,
 * g ~ N(0, 1) on every model output (ALGORITHM.md §3). Squared norms are kept per input channel of
 * each kernel so the between-layer solver can predict the effect of rescaling each channel slice.
 */
import * as tf from '@tensorflow/tfjs';
import type { AffineUnit } from './affine.js';
import { forwardBatch, type PreActivationObserver } from './forward.js';
import type { GraphStep, ModelGraph } from './graph.js';
import type { Rng } from './rng.js';

export interface RateMeasurement {
  /** Per unit, ‖∂ℓ/∂W‖² summed over each input channel's kernel slice. */
  gradientSq: Float64Array[];
  /** Per unit, ‖W‖² per input channel slice. */
  weightSq: Float64Array[];
  /** Per unit, the change rate. */
  rates: Float64Array;
}

export function measureChangeRates(
  graph: ModelGraph,
  units: Map<GraphStep, AffineUnit[]>,
  measured: AffineUnit[],
  batch: tf.Tensor,
  rng: Rng,
  observe?: PreActivationObserver,
): RateMeasurement {
  const gradientSq: Float64Array[] = [];
  const weightSq: Float64Array[] = [];
  const rates = new Float64Array(measured.length);
  tf.tidy(() => {
    const kernels = measured.map((unit) => unit.kernel.read() as tf.Variable);
    const n = batch.shape[0]!;
    const { grads } = tf.variableGrads(() => {
      const outputs = forwardBatch(graph, units, batch, observe);
      const terms = outputs.map((y) => tf.sum(tf.mul(y, tf.tensor(rng.normals(y.size), y.shape))));
      return tf.div(tf.addN(terms), n) as tf.Scalar;
    }, kernels);
    measured.forEach((unit, i) => {
      const gradient = grads[kernels[i]!.name];
      if (!gradient) throw new Error(`no gradient reached ${unit.name}`);
      gradientSq.push(sliceSquares(gradient, unit.inAxis));
      weightSq.push(sliceSquares(kernels[i]!, unit.inAxis));
      rates[i] = Math.sqrt(sum(gradientSq[i]!) / sum(weightSq[i]!));
    });
  });
  return { gradientSq, weightSq, rates };
}

/** Σ x² over every axis but `axis`, in float64. */
function sliceSquares(x: tf.Tensor, axis: number): Float64Array {
  const axes = x.shape.map((_, i) => i).filter((i) => i !== axis);
  return Float64Array.from(tf.sum(tf.square(x), axes).dataSync());
}

export function sum(values: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i]!;
  return total;
}
