/**
 * Per-channel mean and variance over batch × positions, accumulated in float64 across batches with
 * Chan et al.'s pairwise update: each batch's moments are taken about its own mean on the backend
 * (two-pass, float32), so no large E[z²] − E[z]² cancellation happens anywhere.
 */

import type { ChannelStats, Spread } from '@ddinit/contracts';
import * as tf from '@tensorflow/tfjs';

export class ChannelMoments {
  count = 0;
  readonly mean: Float64Array;
  /** Sum of squared deviations from the mean. */
  readonly m2: Float64Array;

  constructor(readonly channels: number) {
    this.mean = new Float64Array(channels);
    this.m2 = new Float64Array(channels);
  }

  /** Adds every position of `z` (channels on the last axis). */
  add(z: tf.Tensor): void {
    const axes = z.shape.slice(0, -1).map((_, i) => i);
    const n = z.size / this.channels;
    const [batchMean, batchVariance] = tf.tidy(() => {
      const { mean, variance } = tf.moments(z, axes);
      return [mean.dataSync(), variance.dataSync()];
    });
    this.merge(n, batchMean as Float32Array, batchVariance as Float32Array);
  }

  merge(n: number, batchMean: ArrayLike<number>, batchVariance: ArrayLike<number>): void {
    const total = this.count + n;
    for (let c = 0; c < this.channels; c++) {
      const delta = batchMean[c]! - this.mean[c]!;
      this.mean[c] = this.mean[c]! + (delta * n) / total;
      this.m2[c] = this.m2[c]! + batchVariance[c]! * n + (delta * delta * this.count * n) / total;
    }
    this.count = total;
  }

  /** Population variance per channel. */
  variance(): Float64Array {
    return this.m2.map((m2) => m2 / Math.max(this.count, 1));
  }

  /** The moments of r·z. */
  scaled(factor: number): ChannelMoments {
    const result = new ChannelMoments(this.channels);
    result.count = this.count;
    this.mean.forEach((m, c) => {
      result.mean[c] = m * factor;
      result.m2[c] = this.m2[c]! * factor * factor;
    });
    return result;
  }

  std(): Float64Array {
    return this.variance().map(Math.sqrt);
  }
}

export function spread(values: ArrayLike<number>): Spread {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  const median = n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  return { min: sorted[0] ?? Number.NaN, median, max: sorted[n - 1] ?? Number.NaN };
}

export function channelStats(mean: ArrayLike<number>, std: ArrayLike<number>): ChannelStats {
  return { mean: spread(mean), std: spread(std) };
}

/** Summary of a ChannelMoments. */
export function summarize(moments: ChannelMoments): ChannelStats {
  return channelStats(moments.mean, moments.std());
}
