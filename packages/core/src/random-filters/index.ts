/**
 * Random filters drawn before within-layer normalization (ALGORITHM.md §1): Gaussian, orthogonal,
 * PCA on the layer's input patches, or spherical k-means on whitened patches. Every fallback is
 * returned with its reason so the report can show it.
 */

import type { RandomFilters } from '@ddinit/contracts';
import * as tf from '@tensorflow/tfjs';
import type { AffineUnit } from '../affine.js';
import type { Rng } from '../rng.js';
import { sphericalKMeans } from './kmeans.js';
import { type Eigen, principalDirections, randomOrthogonal } from './linalg.js';
import { type Patches, samplePatches } from './patches.js';

export interface DrawnFilters {
  kernel: tf.Tensor;
  used: RandomFilters;
  fallbackReason?: string;
}

export interface DrawOptions {
  /** Most input patches used by pca/kmeans. */
  maxPatches: number;
}

/** Directions whose variance is below this fraction of the largest count as absent. */
const NEGLIGIBLE_EIGENVALUE = 1e-6;

export function drawFilters(
  unit: AffineUnit,
  requested: Exclude<RandomFilters, 'keep'>,
  inputs: tf.Tensor[],
  rng: Rng,
  options: DrawOptions,
): DrawnFilters {
  switch (requested) {
    case 'gaussian':
      return { kernel: gaussianKernel(unit, rng), used: 'gaussian' };
    case 'orthogonal':
      return { kernel: orthogonalKernel(unit, rng), used: 'orthogonal' };
    case 'pca':
    case 'kmeans': {
      if (unit.kind === 'conv2d-transpose') {
        return fallback(unit, rng, 'a transposed convolution has no input patches to learn from');
      }
      if (requested === 'kmeans' && unit.kind === 'depthwise') {
        return fallback(unit, rng, 'k-means degenerates on depthwise layers (one filter per channel group)');
      }
      const patches = samplePatches(unit, inputs, options.maxPatches, rng);
      if (requested === 'kmeans' && patches.n < unit.outChannels) {
        return fallback(unit, rng, `${patches.n} patches are fewer than ${unit.outChannels} filters`);
      }
      return requested === 'pca' ? pcaKernel(unit, patches, rng) : kmeansKernel(unit, patches, rng);
    }
  }
}

function fallback(unit: AffineUnit, rng: Rng, reason: string): DrawnFilters {
  return { kernel: gaussianKernel(unit, rng), used: 'gaussian', fallbackReason: reason };
}

export function gaussianKernel(unit: AffineUnit, rng: Rng): tf.Tensor {
  const shape = unit.kernel.shape;
  return tf.tensor(rng.normals(shape.reduce((a, b) => a * b, 1)), shape);
}

/** Kernel from a d×out filter matrix whose column o is output channel o's flattened filter. */
function kernelFromMatrix(unit: AffineUnit, matrix: tf.Tensor2D): tf.Tensor {
  const shape = unit.kernel.shape;
  if (unit.kind === 'conv2d-transpose') {
    const [kh, kw, out, inC] = shape as [number, number, number, number];
    return tf.tidy(() => tf.transpose(tf.reshape(matrix, [kh, kw, inC, out]), [0, 1, 3, 2]));
  }
  return tf.reshape(matrix, shape);
}

function orthogonalKernel(unit: AffineUnit, rng: Rng): tf.Tensor {
  const shape = unit.kernel.shape;
  if (unit.kind === 'depthwise') {
    const [kh, kw, channels, multiplier] = shape as [number, number, number, number];
    const groups = Array.from({ length: channels }, () => randomOrthogonal(kh * kw, multiplier, rng));
    return tf.tidy(() => {
      const stacked = tf.stack(groups, 1); // [taps, channels, multiplier]
      for (const g of groups) g.dispose();
      return tf.reshape(stacked, shape);
    });
  }
  const out = unit.outChannels;
  const fanIn = shape.reduce((a, b) => a * b, 1) / out;
  const matrix = randomOrthogonal(fanIn, out, rng);
  const kernel = kernelFromMatrix(unit, matrix);
  matrix.dispose();
  return kernel;
}

/** Whitened top principal directions as filters; missing or negligible ones are Gaussian. */
function pcaFilterMatrix(patches: Patches, columns: number[] | null, out: number, rng: Rng) {
  const d = columns?.length ?? patches.d;
  const centered = tf.tidy(() => {
    let x = tf.tensor2d(patches.data, [patches.n, patches.d]);
    if (columns) x = tf.gather(x, tf.tensor1d(columns, 'int32'), 1);
    return tf.sub(x, tf.mean(x, 0, true)) as tf.Tensor2D;
  });
  const eigen = principalDirections(centered, out, rng);
  centered.dispose();
  const matrix = new Float32Array(d * out);
  const largest = eigen.values[0] ?? 0;
  let gaussian = 0;
  for (let o = 0; o < out; o++) {
    const value = eigen.values[o];
    if (o < eigen.k && value !== undefined && value > NEGLIGIBLE_EIGENVALUE * largest && largest > 0) {
      const gain = 1 / Math.sqrt(value + NEGLIGIBLE_EIGENVALUE * largest);
      for (let i = 0; i < d; i++) matrix[i * out + o] = eigen.vectors[i * eigen.k + o]! * gain;
    } else {
      gaussian++;
      for (let i = 0; i < d; i++) matrix[i * out + o] = rng.normal();
    }
  }
  return { matrix, gaussian, d };
}

function pcaKernel(unit: AffineUnit, patches: Patches, rng: Rng): DrawnFilters {
  if (unit.kind === 'depthwise') {
    const [kh, kw, channels, multiplier] = unit.kernel.shape as [number, number, number, number];
    const taps = kh * kw;
    const kernel = new Float32Array(taps * channels * multiplier);
    let gaussian = 0;
    for (let c = 0; c < channels; c++) {
      const columns = Array.from({ length: taps }, (_, t) => t * channels + c);
      const group = pcaFilterMatrix(patches, columns, multiplier, rng);
      gaussian += group.gaussian;
      for (let t = 0; t < taps; t++) {
        for (let m = 0; m < multiplier; m++)
          kernel[(t * channels + c) * multiplier + m] = group.matrix[t * multiplier + m]!;
      }
    }
    return withGaussianNote(tf.tensor(kernel, unit.kernel.shape), 'pca', gaussian, unit.outChannels);
  }
  const { matrix, gaussian, d } = pcaFilterMatrix(patches, null, unit.outChannels, rng);
  const kernel = tf.tidy(() => kernelFromMatrix(unit, tf.tensor2d(matrix, [d, unit.outChannels])));
  return withGaussianNote(kernel, 'pca', gaussian, unit.outChannels);
}

function withGaussianNote(
  kernel: tf.Tensor,
  used: 'pca' | 'kmeans',
  gaussian: number,
  out: number,
): DrawnFilters {
  if (gaussian === 0) return { kernel, used };
  const reason = `${gaussian} of ${out} filters are Gaussian: the input patches span fewer directions than filters`;
  return gaussian === out
    ? { kernel, used: 'gaussian', fallbackReason: reason }
    : { kernel, used, fallbackReason: reason };
}

function kmeansKernel(unit: AffineUnit, patches: Patches, rng: Rng): DrawnFilters {
  const out = unit.outChannels;
  const { n, d } = patches;
  const x = tf.tensor2d(patches.data, [n, d]);
  const centered = tf.tidy(() => tf.sub(x, tf.mean(x, 0, true)) as tf.Tensor2D);
  x.dispose();
  const eigen: Eigen = principalDirections(centered, Math.min(out, d), rng);
  const largest = eigen.values[0] ?? 0;
  const kept = Array.from(eigen.values).filter(
    (v) => v > NEGLIGIBLE_EIGENVALUE * largest && largest > 0,
  ).length;
  if (kept === 0) {
    centered.dispose();
    return fallback(unit, rng, 'the input patches are constant');
  }
  const filters = tf.tidy(() => {
    // Whitening W = V·diag(1/sqrt(λ)): whitened patches are X·W; a center c maps back to the filter W·c.
    const vectors = tf.slice(tf.tensor2d(Float32Array.from(eigen.vectors), [d, eigen.k]), [0, 0], [d, kept]);
    const gains = tf.tensor1d(Array.from(eigen.values.subarray(0, kept), (v) => 1 / Math.sqrt(v)));
    const whitening = tf.mul(vectors, gains);
    const whitened = tf.matMul(centered, whitening);
    const unitRows = tf.div(
      whitened,
      tf.maximum(tf.norm(whitened, 'euclidean', 1, true), 1e-12),
    ) as tf.Tensor2D;
    const centers = sphericalKMeans(unitRows, out, rng);
    return tf.matMul(whitening, centers, false, true) as tf.Tensor2D; // d×out
  });
  centered.dispose();
  const kernel = kernelFromMatrix(unit, filters);
  filters.dispose();
  return { kernel, used: 'kmeans' };
}
