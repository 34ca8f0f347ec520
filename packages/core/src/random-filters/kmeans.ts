/**
 * Spherical k-means (cosine similarity, unit-length rows) with k-means++ seeding and a fixed cap on
 * Lloyd iterations (ALGORITHM.md §1). Similarities are matrix products on the tfjs backend.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../rng.js';

/** `k` unit-length centers (k×p) of the unit-length rows of `points` (n×p, n ≥ k). */
export function sphericalKMeans(points: tf.Tensor2D, k: number, rng: Rng, maxIterations = 15): tf.Tensor2D {
  const [n] = points.shape;
  let centers = seedCenters(points, k, rng);
  let previous: Int32Array | undefined;
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    const assignment = tf.tidy(
      () => tf.argMax(tf.matMul(points, centers, false, true), 1).dataSync() as Int32Array,
    );
    if (previous && assignment.every((a, i) => a === previous![i])) break;
    previous = assignment;
    const next = tf.tidy(() => {
      const onehot = tf.oneHot(tf.tensor1d(assignment, 'int32'), k).toFloat();
      const sums = tf.matMul(onehot, points, true, false);
      const norms = tf.norm(sums, 'euclidean', 1, true);
      // An empty cluster keeps its old center rather than collapsing to zero.
      const empty = tf.less(norms, 1e-12);
      return tf.where(tf.tile(empty, [1, sums.shape[1]!]), centers, tf.div(sums, tf.maximum(norms, 1e-12)));
    }) as tf.Tensor2D;
    centers.dispose();
    centers = next;
  }
  void n;
  return centers;
}

/** k-means++ for cosine distance: each next center drawn with probability ∝ (1 − best similarity)². */
function seedCenters(points: tf.Tensor2D, k: number, rng: Rng): tf.Tensor2D {
  const [n] = points.shape;
  const chosen: number[] = [rng.int(n)];
  let best = new Float32Array(n).fill(-1);
  while (chosen.length < k) {
    const last = chosen[chosen.length - 1]!;
    const similarity = tf.tidy(
      () =>
        tf
          .matMul(points, tf.slice(points, [last, 0], [1, -1]), false, true)
          .reshape([n])
          .dataSync() as Float32Array,
    );
    best = best.map((b, i) => Math.max(b, similarity[i]!));
    const weights = best.map((b) => (1 - b) ** 2);
    const total = weights.reduce((a, b) => a + b, 0);
    let pick = rng.int(n);
    if (total > 1e-12) {
      let target = rng.uniform() * total;
      for (let i = 0; i < n; i++) {
        target -= weights[i]!;
        if (target <= 0) {
          pick = i;
          break;
        }
      }
    }
    chosen.push(pick);
  }
  return tf.tidy(() => tf.gather(points, tf.tensor1d(chosen, 'int32'))) as tf.Tensor2D;
}
