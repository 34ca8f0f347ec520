/**
 * Running the model graph on concrete tensors, in inference mode (dropout and noise off, BatchNorm
 * on its moving statistics). Affine layers are computed unit by unit so their pre-activations can
 * be observed; every other layer is called as tfjs defines it.
 */
import * as tf from '@tensorflow/tfjs';
import { type AffineUnit, layerActivation } from './affine.js';
import type { GraphStep, ModelGraph } from './graph.js';

/** Calls a non-affine layer on one batch. */
export function applyLayer(step: GraphStep, inputs: tf.Tensor[]): tf.Tensor[] {
  const result = step.layer.apply(inputs.length === 1 ? inputs[0]! : inputs, { training: false });
  return (Array.isArray(result) ? result : [result]) as tf.Tensor[];
}

/** One affine unit's output z = W·x + b from the unit's current variables (differentiable). */
export function affineOutput(unit: AffineUnit, x: tf.Tensor): tf.Tensor {
  const z = unit.preActivation(x, unit.kernel.read());
  return unit.bias ? tf.add(z, unit.bias.read()) : z;
}

export type PreActivationObserver = (unit: AffineUnit, z: tf.Tensor) => void;

/**
 * The model's outputs for one batch, reporting each unit's pre-activation to `observe`. Nothing is
 * disposed here, so it can run under a gradient tape; callers wrap it in `tf.tidy`.
 */
export function forwardBatch(
  graph: ModelGraph,
  units: Map<GraphStep, AffineUnit[]>,
  input: tf.Tensor,
  observe?: PreActivationObserver,
): tf.Tensor[] {
  const values = new Map<number, tf.Tensor>([[graph.inputIds[0]!, input]]);
  for (const step of graph.steps) {
    const inputs = step.inputs.map((id) => values.get(id)!);
    const layerUnits = units.get(step);
    let outputs: tf.Tensor[];
    if (layerUnits) {
      let x = inputs[0]!;
      for (const unit of layerUnits) {
        x = affineOutput(unit, x);
        observe?.(unit, x);
      }
      outputs = [layerActivation(step.layer).apply(x)];
    } else if (step.className === 'InputLayer') {
      outputs = inputs;
    } else {
      outputs = applyLayer(step, inputs);
    }
    step.outputs.forEach((id, i) => {
      values.set(id, outputs[i]!);
    });
  }
  return graph.outputIds.map((id) => values.get(id)!);
}

/** Splits `[N, …]` into batches of at most `batchSize` along the first axis. */
export function splitBatches(sample: tf.Tensor, batchSize: number): tf.Tensor[] {
  const n = sample.shape[0]!;
  const batches: tf.Tensor[] = [];
  for (let start = 0; start < n; start += batchSize) {
    batches.push(tf.slice(sample, start, Math.min(batchSize, n - start)));
  }
  return batches;
}
