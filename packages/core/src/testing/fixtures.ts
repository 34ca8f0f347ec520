/**
 * Shared test fixtures: the example models, real images through the data package, the fastest
 * backend, and an independent way to read pre-activations (tfjs's own layer code, not the engine's).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readSample } from '@ddinit/data';
import { FileStore } from '@ddinit/storage';
import { selectBackend } from '@ddinit/tf';
import * as tf from '@tensorflow/tfjs';
import { type AffineUnit, affineUnits } from '../affine.js';
import { measureChangeRates, sum } from '../change-rate.js';
import { buildGraph, type GraphStep } from '../graph.js';
import { isAffineClass } from '../layer-rules.js';
import { createRng } from '../rng.js';

export const repoRoot = path.resolve(import.meta.dirname, '../../../..');

export async function useFastBackend() {
  return selectBackend('wasm');
}

export async function loadExampleModel(name: string): Promise<tf.LayersModel> {
  const file = path.join(repoRoot, 'examples/models', name, 'model.json');
  const { modelTopology } = JSON.parse(readFileSync(file, 'utf8'));
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology }));
}

/** `count` + `heldOut` example images at the model's input size, scaled to [0, 1]. */
export async function exampleImages(shape: number[], count: number, heldOut: number, seed = 0) {
  const store = new FileStore(path.join(repoRoot, 'examples/images'));
  return readSample(store, '', { shape }, {}, { count, heldOut, seed });
}

export interface PreActivation {
  name: string;
  className: string;
  /** Per-channel mean and (population) std over batch × positions. */
  mean: Float64Array;
  std: Float64Array;
}

/**
 * A layer's output before its activation, computed by tfjs itself: the model up to the layer's input,
 * then the layer called with its activation switched to linear. The caller disposes the result.
 */
export function preActivationOf(model: tf.LayersModel, layer: tf.layers.Layer, x: tf.Tensor): tf.Tensor {
  const upstream = tf.model({ inputs: model.inputs, outputs: layer.input as tf.SymbolicTensor });
  const holder = layer as unknown as { activation: unknown };
  const activation = holder.activation;
  holder.activation = (tf.layers.dense({ units: 1 }) as unknown as { activation: unknown }).activation;
  try {
    return tf.tidy(() => layer.apply(upstream.predict(x) as tf.Tensor) as tf.Tensor);
  } finally {
    holder.activation = activation;
  }
}

/** Per-channel pre-activation statistics of every affine layer (see `preActivationOf`). */
export function preActivations(model: tf.LayersModel, x: tf.Tensor): PreActivation[] {
  return model.layers
    .filter((layer) => isAffineClass(layer.getClassName()))
    .map((layer) => {
      const [mean, std] = tf.tidy(() => {
        const z = preActivationOf(model, layer, x);
        const { mean, variance } = tf.moments(
          z,
          z.shape.slice(0, -1).map((_, i) => i),
        );
        return [mean, variance.sqrt()];
      });
      try {
        return {
          name: layer.name,
          className: layer.getClassName(),
          mean: Float64Array.from(mean.dataSync()),
          std: Float64Array.from(std.dataSync()),
        };
      } finally {
        tf.dispose([mean, std]);
      }
    });
}

export function median(values: ArrayLike<number>): number {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

/** The model's graph and its affine units, as the engine sees them. */
export function analyse(model: tf.LayersModel) {
  const graph = buildGraph(model);
  const stepUnits = new Map<GraphStep, AffineUnit[]>();
  for (const step of graph.steps) {
    if (isAffineClass(step.className)) stepUnits.set(step, affineUnits(step.layer, step.className));
  }
  const units = [...stepUnits.values()].flat();
  return { graph, stepUnits, units };
}

/** Change rates averaged over several batches and fresh top gradients: a low-noise reference. */
export function referenceRates(model: tf.LayersModel, batches: tf.Tensor[]): number[] {
  const { graph, stepUnits, units } = analyse(model);
  const gradient = units.map(() => 0);
  const weight = units.map(() => 0);
  batches.forEach((batch, b) => {
    const m = measureChangeRates(graph, stepUnits, units, batch, createRng(1234, 'reference', b));
    units.forEach((_, k) => {
      gradient[k]! += sum(m.gradientSq[k]!);
      weight[k]! += sum(m.weightSq[k]!);
    });
  });
  return gradient.map((g, k) => Math.sqrt(g / weight[k]!));
}

/** Largest over smallest change rate: 1 when every layer learns at the same speed. */
export const spread = (rates: number[]) => Math.max(...rates) / Math.min(...rates);
