/**
 * The few dense linear-algebra steps the random filters need. Large products run on the tfjs
 * backend; only small k×k factorizations run in float64 JS (ml-matrix).
 */
import * as tf from '@tensorflow/tfjs';
import { CholeskyDecomposition, EigenvalueDecomposition, Matrix, QrDecomposition, solve } from 'ml-matrix';
import type { Rng } from '../rng.js';

/**
 * Orthonormal columns spanning `g` (d×k, d ≥ k), by CholeskyQR2: Q = G·R⁻¹ with RᵀR = GᵀG, done
 * twice so that float32 Gram products still give orthonormality near machine precision. The
 * positive-diagonal R makes Q the Q of the QR decomposition, Haar-distributed for Gaussian G.
 */
export function orthonormalColumns(g: tf.Tensor2D): tf.Tensor2D {
  let q = g;
  for (let pass = 0; pass < 2; pass++) {
    const gram = tf.tidy(() => tf.matMul(q, q, true, false));
    const k = gram.shape[0];
    const gramMatrix = new Matrix(toRows(gram.dataSync(), k, k));
    gram.dispose();
    const cholesky = new CholeskyDecomposition(gramMatrix);
    if (!cholesky.isPositiveDefinite()) {
      // Rank-deficient (patches spanning fewer directions than asked): Householder QR copes.
      const rows = q.arraySync() as number[][];
      if (q !== g) q.dispose();
      return tf.tensor2d(new QrDecomposition(new Matrix(rows)).orthogonalMatrix.to2DArray());
    }
    const lower = cholesky.lowerTriangularMatrix; // GᵀG = L·Lᵀ, so R = Lᵀ
    const rInverse = solve(lower.transpose(), Matrix.eye(k, k));
    const next: tf.Tensor2D = tf.tidy(() => tf.matMul(q, tf.tensor2d(rInverse.to2DArray())));
    if (q !== g) q.dispose();
    q = next;
  }
  return q;
}

/** A Haar-random matrix with orthonormal columns (rows ≥ cols) or orthonormal rows (rows < cols). */
export function randomOrthogonal(rows: number, cols: number, rng: Rng): tf.Tensor2D {
  if (rows < cols) {
    const transposed = randomOrthogonal(cols, rows, rng);
    const result = tf.transpose(transposed) as tf.Tensor2D;
    transposed.dispose();
    return result;
  }
  const gaussian = tf.tensor2d(rng.normals(rows * cols), [rows, cols]);
  const q = orthonormalColumns(gaussian);
  gaussian.dispose();
  return q;
}

export interface Eigen {
  /** Eigenvalues, descending. */
  values: Float64Array;
  /** Row-major d×k: column j is the eigenvector of values[j]. */
  vectors: Float64Array;
  d: number;
  k: number;
}

/** Top-k eigenpairs of a symmetric p×p matrix given row-major, descending. */
export function symmetricEigen(data: ArrayLike<number>, p: number, k: number): Eigen {
  const decomposition = new EigenvalueDecomposition(new Matrix(toRows(data, p, p)), {
    assumeSymmetric: true,
  });
  const values = decomposition.realEigenvalues;
  const order = values.map((_, i) => i).sort((a, b) => values[b]! - values[a]!);
  const vectors = decomposition.eigenvectorMatrix;
  const top = order.slice(0, k);
  const out = new Float64Array(p * top.length);
  top.forEach((column, j) => {
    for (let i = 0; i < p; i++) out[i * top.length + j] = vectors.get(i, column);
  });
  return {
    values: Float64Array.from(top, (i) => Math.max(values[i]!, 0)),
    vectors: out,
    d: p,
    k: top.length,
  };
}

/**
 * Top-k principal directions of the rows of `centered` (n×d): the covariance's eigenpairs. Small
 * problems decompose the d×d covariance; large ones use randomized subspace iteration (Halko et al.)
 * with a few power steps and a Rayleigh–Ritz solve on k+10 directions.
 */
export function principalDirections(centered: tf.Tensor2D, k: number, rng: Rng): Eigen {
  const [n, d] = centered.shape;
  const p = Math.min(d, k + 10);
  if (n < d && n <= 2048) {
    // Fewer patches than dimensions: the n×n Gram matrix has the same nonzero spectrum, and its
    // eigenvectors u map to the covariance's as Xᵀu / sqrt(n·λ).
    const gram = tf.tidy(() => tf.div(tf.matMul(centered, centered, false, true), n));
    const small = symmetricEigen(gram.dataSync(), n, Math.min(k, n));
    gram.dispose();
    const gains = Array.from(small.values, (v) => (v > 0 ? 1 / Math.sqrt(n * v) : 0));
    const vectors = tf.tidy(() =>
      tf
        .mul(
          tf.matMul(centered, tf.tensor2d(Float32Array.from(small.vectors), [n, small.k]), true, false),
          gains,
        )
        .dataSync(),
    );
    return { values: small.values, vectors: Float64Array.from(vectors), d, k: small.k };
  }
  if (2 * p >= d) {
    const covariance = tf.tidy(() => tf.div(tf.matMul(centered, centered, true, false), n));
    const eigen = symmetricEigen(covariance.dataSync(), d, Math.min(k, d));
    covariance.dispose();
    return eigen;
  }
  let basis = randomOrthogonal(d, p, rng);
  for (let step = 0; step < 3; step++) {
    const power = tf.tidy(() => tf.matMul(centered, tf.matMul(centered, basis), true, false) as tf.Tensor2D);
    basis.dispose();
    basis = orthonormalColumns(power);
    power.dispose();
  }
  const projected = tf.tidy(() => {
    const xq = tf.matMul(centered, basis);
    return tf.div(tf.matMul(xq, xq, true, false), n);
  });
  const small = symmetricEigen(projected.dataSync(), p, Math.min(k, p));
  projected.dispose();
  const vectors = tf.tidy(() =>
    tf.matMul(basis, tf.tensor2d(Float32Array.from(small.vectors), [p, small.k])).dataSync(),
  );
  basis.dispose();
  return { values: small.values, vectors: Float64Array.from(vectors), d, k: small.k };
}

function toRows(data: ArrayLike<number>, rows: number, cols: number): number[][] {
  const out: number[][] = [];
  for (let r = 0; r < rows; r++) out.push(Array.from({ length: cols }, (_, c) => data[r * cols + c]!));
  return out;
}
