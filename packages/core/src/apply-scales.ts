/**
 * Rescales the weights by per-group factors r_g = e^{ρ_g} and undoes each factor downstream so the
 * network computes the same function (ALGORITHM.md §3): W_u ← r_u·W_u / r_s per input slice s,
 * b_u ← r_u·b_u, and BatchNormalization absorbs r through its moving statistics.
 */
import * as tf from '@tensorflow/tfjs';
import type { LayerVariable } from './affine.js';
import { type ScaleGraph, UNSCALED } from './scale-graph.js';

export function applyScales(scales: ScaleGraph, logScale: Map<number, number>): void {
  const factor = (g: number) => (g === UNSCALED ? 1 : Math.exp(logScale.get(g) ?? 0));
  scales.units.forEach((unit, i) => {
    const own = factor(scales.unitGroup[i]!);
    const undo = Float32Array.from(scales.inputSources[i]!, (s) => own / factor(s));
    if (own === 1 && undo.every((u) => u === 1)) return;
    assign(
      unit.kernel,
      tf.tidy(() => tf.mul(unit.kernel.read(), tf.reshape(tf.tensor1d(undo), unit.inBroadcast))),
    );
    if (unit.bias)
      assign(
        unit.bias,
        tf.tidy(() => tf.mul(unit.bias!.read(), own)),
      );
  });
  for (const { layer, sources } of scales.absorbers)
    absorbIntoBatchNorm(layer, Float32Array.from(sources, factor));
}

/**
 * x ← r·x through BatchNormalization: moving mean ← r·mean, variance ← r²·variance, and γ corrected
 * for ε so inference outputs stay exactly the same: γ' = γ·sqrt(r²v + ε) / (r·sqrt(v + ε)).
 */
function absorbIntoBatchNorm(layer: { weights: unknown[]; getConfig(): unknown }, r: Float32Array): void {
  if (r.every((v) => v === 1)) return;
  const weights = layer.weights as LayerVariable[];
  const find = (suffix: string) => weights.find((w) => w.originalName.endsWith(`/${suffix}`));
  const epsilon = Number((layer.getConfig() as { epsilon?: number }).epsilon ?? 1e-3);
  const mean = find('moving_mean')!;
  const variance = find('moving_variance')!;
  const gamma = find('gamma');
  const v = variance.read().dataSync();
  const rT = tf.tensor1d(r);
  if (gamma) {
    const correction = Float32Array.from(
      r,
      (ri, c) => Math.sqrt(ri * ri * v[c]! + epsilon) / (ri * Math.sqrt(v[c]! + epsilon)),
    );
    assign(
      gamma,
      tf.tidy(() => tf.mul(gamma.read(), tf.tensor1d(correction))),
    );
  }
  assign(
    mean,
    tf.tidy(() => tf.mul(mean.read(), rT)),
  );
  assign(
    variance,
    tf.tidy(() => tf.mul(variance.read(), tf.square(rT))),
  );
  rT.dispose();
}

/** Writes a new value into a variable and releases the temporary. */
export function assign(variable: LayerVariable, value: tf.Tensor): void {
  variable.write(value);
  value.dispose();
}
