/**
 * Within-layer normalization (ALGORITHM.md §2, paper Algorithm 1) and LSUV (§4) in one forward pass
 * over the sample. The walk goes layer by layer and keeps every live tensor of every batch (the
 * frontier). An affine unit's raw outputs z = W·x are measured once; its normalized outputs are then
 * the per-channel affine map z·s + t of what was just computed, so nothing is re-run from the input.
 */

import type { InitOptions, RandomFilters } from '@ddinit/contracts';
import * as tf from '@tensorflow/tfjs';
import { type AffineUnit, type LayerVariable, layerActivation } from './affine.js';
import { assign } from './apply-scales.js';
import { aborted } from './errors.js';
import { affineOutput, applyLayer } from './forward.js';
import type { GraphStep, ModelGraph } from './graph.js';
import { ChannelMoments } from './moments.js';
import { drawFilters } from './random-filters/index.js';
import { createRng } from './rng.js';

export interface UnitOutcome {
  unit: AffineUnit;
  selected: boolean;
  random: { requested: string; used: string; fallbackReason?: string };
  /** Per-channel mean/std of the pre-activation with the filters as drawn (or kept). */
  drawn: { mean: Float64Array; std: Float64Array };
  /** Per-channel mean/std of the pre-activation after this step, exact on the init sample. */
  normalized: { mean: Float64Array; std: Float64Array };
  warnings: string[];
}

export interface WithinContext {
  graph: ModelGraph;
  units: Map<GraphStep, AffineUnit[]>;
  selected: Set<AffineUnit>;
  options: InitOptions;
  /** Cap on input patches for pca/kmeans. */
  maxPatches: number;
  signal?: AbortSignal;
  onLayer?: (index: number, count: number, name: string) => void;
}

/** Redraws of a dead channel's filter before giving up on it. */
const DEAD_CHANNEL_TRIES = 3;

export async function withinLayer(context: WithinContext, batches: tf.Tensor[]): Promise<UnitOutcome[]> {
  const { graph, units, selected } = context;
  const frontier = new Map<number, tf.Tensor[]>([[graph.inputIds[0]!, batches]]);
  const remainingReaders = new Map(graph.readers);
  const dirty = new Set<number>(); // tensors downstream of a selected unit
  const outcomes: UnitOutcome[] = [];
  const affineSteps = graph.steps.filter((step) => units.has(step));

  for (const step of graph.steps) {
    if (context.signal?.aborted) throw aborted();
    const inputs = step.inputs.map((id) => frontier.get(id)!);
    const layerUnits = units.get(step);
    let outputs: tf.Tensor[][];
    let stepDirty = step.inputs.some((id) => dirty.has(id));

    if (layerUnits) {
      context.onLayer?.(affineSteps.indexOf(step), affineSteps.length, step.layer.name);
      let x = inputs[0]!;
      for (const unit of layerUnits) {
        const outcome = initializeUnit(unit, x, selected.has(unit), context);
        outcomes.push(outcome.result);
        if (x !== inputs[0]) disposeAll(x);
        x = outcome.outputs;
        stepDirty ||= selected.has(unit);
      }
      const activation = layerActivation(step.layer);
      outputs = [x.map((z) => tf.tidy(() => activation.apply(z)))];
      if (x !== inputs[0]) disposeAll(x.filter((z) => !outputs[0]!.includes(z)));
      await new Promise((resolve) => setImmediate(resolve)); // let progress and cancel messages through
    } else if (step.className === 'InputLayer') {
      outputs = [inputs[0]!.map((t) => t.clone())];
    } else {
      if (step.className === 'BatchNormalization' && stepDirty) resetBatchNorm(step, inputs[0]!);
      const perBatch = inputs[0]!.map((_, b) =>
        tf.tidy(() =>
          applyLayer(
            step,
            inputs.map((input) => input[b]!),
          ),
        ),
      );
      outputs = step.outputs.map((_, i) => perBatch.map((batch) => batch[i]!));
    }

    // A layer may hand its input back unchanged (Dropout at inference, a linear activation): give the
    // output its own handle so that releasing the input later leaves the output alive.
    const held = new Set(inputs.flat());
    outputs = outputs.map((batch) => batch.map((t) => (held.has(t) ? t.clone() : t)));
    step.outputs.forEach((id, i) => {
      frontier.set(id, outputs[i]!);
      if (stepDirty) dirty.add(id);
    });
    for (const id of step.inputs) {
      const left = (remainingReaders.get(id) ?? 0) - 1;
      remainingReaders.set(id, left);
      if (left === 0 && id !== graph.inputIds[0]) {
        disposeAll(frontier.get(id)!);
        frontier.delete(id);
      }
    }
  }
  for (const [id, tensors] of frontier) if (id !== graph.inputIds[0]) disposeAll(tensors);
  return outcomes;
}

function disposeAll(tensors: tf.Tensor[]): void {
  for (const t of tensors) t.dispose();
}

/**
 * BatchNormalization after a changed layer: its moving statistics become those measured at its
 * input, with γ = 1 and β = 0, so that inference-mode outputs are normalized too (ALGORITHM.md §2).
 */
function resetBatchNorm(step: GraphStep, inputs: tf.Tensor[]): void {
  const channels = inputs[0]!.shape[inputs[0]!.shape.length - 1]!;
  const moments = new ChannelMoments(channels);
  for (const x of inputs) moments.add(x);
  const set = (suffix: string, values: ArrayLike<number>) => {
    const variable = step.layer.weights.find((w) => w.originalName.endsWith(`/${suffix}`));
    if (variable) assign(variable as unknown as LayerVariable, tf.tensor1d(Float32Array.from(values)));
  };
  set('moving_mean', moments.mean);
  set('moving_variance', moments.variance());
  set('gamma', new Float32Array(channels).fill(1));
  set('beta', new Float32Array(channels).fill(0));
}

interface UnitStep {
  result: UnitOutcome;
  outputs: tf.Tensor[];
}

function initializeUnit(
  unit: AffineUnit,
  inputs: tf.Tensor[],
  isSelected: boolean,
  context: WithinContext,
): UnitStep {
  const { options } = context;
  const requested: RandomFilters =
    options.method === 'lsuv' && options.random !== 'keep' ? 'orthogonal' : options.random;
  const warnings: string[] = [];
  const keepsWeights = !isSelected || (requested === 'keep' && !options.normalizeKept);
  if (keepsWeights) {
    const moments = new ChannelMoments(unit.outChannels);
    const outputs = inputs.map((x) => tf.tidy(() => affineOutput(unit, x)));
    for (const z of outputs) moments.add(z);
    const stats = { mean: moments.mean, std: moments.std() };
    return {
      result: {
        unit,
        selected: isSelected,
        random: { requested, used: 'keep' },
        drawn: stats,
        normalized: stats,
        warnings,
      },
      outputs,
    };
  }

  const rng = createRng(options.seed, 'filters', unit.name);
  const drawn =
    requested === 'keep'
      ? { kernel: unit.kernel.read().clone(), used: 'keep' as const }
      : drawFilters(unit, requested, inputs, rng, { maxPatches: context.maxPatches });
  let kernel = drawn.kernel;
  let raw = inputs.map((x) => tf.tidy(() => unit.preActivation(x, kernel)));
  let moments = measure(unit, raw);

  // A channel with (near) zero spread cannot be normalized: redraw its filter a few times.
  for (let attempt = 0; attempt < DEAD_CHANNEL_TRIES; attempt++) {
    const dead = deadChannels(moments.std());
    if (dead.length === 0) break;
    const redrawn = redrawChannels(unit, kernel, dead, createRng(options.seed, 'redraw', unit.name, attempt));
    kernel.dispose();
    kernel = redrawn;
    disposeAll(raw);
    raw = inputs.map((x) => tf.tidy(() => unit.preActivation(x, kernel)));
    moments = measure(unit, raw);
  }
  const dead = deadChannels(moments.std());
  if (dead.length > 0) {
    warnings.push(
      `${dead.length} dead channel(s) (constant output on the sample) left unscaled: ${dead.slice(0, 8).join(', ')}`,
    );
  }
  if (!unit.bias)
    warnings.push('no bias (use_bias: false): only the scale is set, the mean is left as measured');

  const drawnStats = { mean: moments.mean, std: moments.std() };
  const bias = unit.bias ? unit.bias.read().dataSync() : new Float32Array(unit.outChannels);
  const map =
    options.method === 'lsuv'
      ? lsuvMap(drawnStats, bias, options, warnings)
      : paperMap(drawnStats, options.beta, unit.bias !== null, dead);

  const outputs = raw.map((z) =>
    tf.tidy(() => tf.add(tf.mul(z, tf.tensor1d(map.scale)), tf.tensor1d(map.shift))),
  );
  disposeAll(raw);
  const scaled = tf.tidy(() => tf.mul(kernel, tf.reshape(tf.tensor1d(map.scale), unit.outBroadcast)));
  assign(unit.kernel, scaled);
  kernel.dispose();
  if (unit.bias) assign(unit.bias, tf.tensor1d(map.shift));

  const normalized = {
    mean: drawnStats.mean.map((m, i) => m * map.scale[i]! + map.shift[i]!),
    std: drawnStats.std.map((s, i) => s * map.scale[i]!),
  };
  const random = {
    requested,
    used: drawn.used,
    ...('fallbackReason' in drawn && drawn.fallbackReason ? { fallbackReason: drawn.fallbackReason } : {}),
  };
  return { result: { unit, selected: true, random, drawn: drawnStats, normalized, warnings }, outputs };
}

function measure(unit: AffineUnit, outputs: tf.Tensor[]): ChannelMoments {
  const moments = new ChannelMoments(unit.outChannels);
  for (const z of outputs) moments.add(z);
  return moments;
}

function deadChannels(std: Float64Array): number[] {
  const sorted = Float64Array.from(std).sort();
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  const floor = Math.max(1e-6 * median, 1e-30);
  const dead: number[] = [];
  std.forEach((s, i) => {
    if (!(s > floor)) dead.push(i);
  });
  return dead;
}

function redrawChannels(
  unit: AffineUnit,
  kernel: tf.Tensor,
  channels: number[],
  rng: ReturnType<typeof createRng>,
) {
  return tf.tidy(() => {
    const mask = new Float32Array(unit.outChannels);
    for (const c of channels) mask[c] = 1;
    const m = tf.reshape(tf.tensor1d(mask), unit.outBroadcast);
    const fresh = tf.tensor(rng.normals(kernel.size), kernel.shape);
    return tf.add(tf.mul(kernel, tf.sub(1, m)), tf.mul(fresh, m));
  });
}

interface ChannelMap {
  scale: Float32Array;
  shift: Float32Array;
}

/** W(i) ← W(i)/σ_i, b(i) ← β − μ_i/σ_i (ALGORITHM.md §2); dead channels keep scale 1. */
function paperMap(
  stats: { mean: Float64Array; std: Float64Array },
  beta: number,
  hasBias: boolean,
  dead: number[],
): ChannelMap {
  const deadSet = new Set(dead);
  const scale = Float32Array.from(stats.std, (s, i) => (deadSet.has(i) ? 1 : 1 / s));
  const shift = hasBias
    ? Float32Array.from(stats.mean, (m, i) => beta - m * scale[i]!)
    : new Float32Array(scale.length);
  return { scale, shift };
}

/**
 * LSUV: one scale t for the whole layer, W ← t·W until |Var(z) − 1| < tol (ALGORITHM.md §4). Var of
 * the whole output under t follows from the per-channel moments, so no pass is repeated.
 */
function lsuvMap(
  stats: { mean: Float64Array; std: Float64Array },
  bias: ArrayLike<number>,
  options: InitOptions,
  warnings: string[],
): ChannelMap {
  const channels = stats.mean.length;
  const varianceAt = (t: number): number => {
    let within = 0;
    let mean = 0;
    for (let c = 0; c < channels; c++) {
      within += (t * stats.std[c]!) ** 2;
      mean += t * stats.mean[c]! + bias[c]!;
    }
    mean /= channels;
    let between = 0;
    for (let c = 0; c < channels; c++) between += (t * stats.mean[c]! + bias[c]! - mean) ** 2;
    return (within + between) / channels;
  };
  let t = 1;
  let variance = varianceAt(t);
  let tries = 0;
  while (
    Math.abs(variance - 1) >= options.lsuvTolerance &&
    tries < options.lsuvMaxIterations &&
    variance > 0
  ) {
    t /= Math.sqrt(variance);
    variance = varianceAt(t);
    tries++;
  }
  if (Math.abs(variance - 1) >= options.lsuvTolerance) {
    warnings.push(`LSUV stopped after ${tries} tries with Var = ${variance.toPrecision(3)}`);
  }
  return { scale: new Float32Array(channels).fill(t), shift: Float32Array.from(bias) };
}
