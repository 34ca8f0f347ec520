import type * as tf from '@tensorflow/tfjs';
import { weightsNotFinite } from './errors.js';

/**
 * Refuses a model whose loaded weights hold NaN or ±Infinity. With `random: keep` the engine rescales
 * the weights it is given, and one non-finite value would turn every statistic it measures into NaN;
 * better to name the weight than to write a checkpoint of NaNs.
 */
export function assertFiniteWeights(model: tf.LayersModel, source: string): void {
  for (const layer of model.layers) {
    for (const weight of layer.weights) {
      const values = weight.read().dataSync();
      let first = -1;
      let count = 0;
      for (let i = 0; i < values.length; i++) {
        if (Number.isFinite(values[i])) continue;
        if (first < 0) first = i;
        count++;
      }
      if (first >= 0)
        throw weightsNotFinite(source, layer.name, weight.originalName, Number(values[first]), first, count);
    }
  }
}
