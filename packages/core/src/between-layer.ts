/**
 * Between-layer normalization (ALGORITHM.md §3): make every layer learn at the same rate.
 * `closed-form` measures once, solves for all scales exactly and verifies on fresh data and fresh
 * top gradients, repeating only while the verified spread is above the tolerance. `iterative` is
 * the paper's damped loop r_k = (C_k / C̄)^(α/2).
 */

import type { InitOptions } from '@ddinit/contracts';
import type * as tf from '@tensorflow/tfjs';
import type { AffineUnit } from './affine.js';
import { applyScales } from './apply-scales.js';
import { type PooledMeasurement, predictRates, solveScales } from './between-solve.js';
import { measureChangeRates, type RateMeasurement } from './change-rate.js';
import { aborted } from './errors.js';
import type { PreActivationObserver } from './forward.js';
import type { GraphStep, ModelGraph } from './graph.js';
import { createRng } from './rng.js';
import type { ScaleGraph } from './scale-graph.js';

export interface BetweenContext {
  graph: ModelGraph;
  stepUnits: Map<GraphStep, AffineUnit[]>;
  scales: ScaleGraph;
  selected: Set<AffineUnit>;
  options: InitOptions;
  /** Batches for the first measurement (init sample). */
  measureBatches: tf.Tensor[];
  /** Batches for verifying measurements: held-out when there is one. */
  verifyBatches: tf.Tensor[];
  /**
   * Most scale updates. Closed form: each update after the first follows one more measurement
   * (so `maxRounds` measurements in all); iterative: one measurement per update plus a final one.
   */
  maxRounds: number;
  signal?: AbortSignal;
  onRound?: (round: number, rounds: number) => void;
  /** Sees every pre-activation of the final verifying pass. */
  observeFinal?: () => PreActivationObserver;
}

export interface BetweenOutcome {
  /** Units taking part in equalization (indices into scales.units). */
  participating: number[];
  before: RateMeasurement;
  /** Rates of the final weights: closed form, pooled over every pass; iterative, the last pass. */
  after: RateMeasurement;
  /** Cumulative log scale per group root. */
  logScale: Map<number, number>;
  rounds: number;
  /** Backward passes run. */
  passes: number;
  /** Whether a measurement ran on `verifyBatches[…]` with `observeFinal` attached. */
  observedFinal: boolean;
  /** Log-scale change per group applied after the last observed pass. */
  sinceObserved: Map<number, number>;
}

/** max_k |log(C_k / C̄)| over the participating units (C̄ the geometric mean). */
export function logSpread(rates: Float64Array, participating: number[]): number {
  const logs = participating.map((i) => Math.log(rates[i]!));
  const mean = logs.reduce((s, v) => s + v, 0) / Math.max(logs.length, 1);
  return Math.max(0, ...logs.map((l) => Math.abs(l - mean)));
}

export async function betweenLayer(context: BetweenContext): Promise<BetweenOutcome> {
  const { graph, stepUnits, scales, options } = context;
  const units = scales.units;
  let passes = 0;
  const measure = (batch: tf.Tensor, label: string, observe?: PreActivationObserver) => {
    if (context.signal?.aborted) throw aborted();
    passes++;
    return measureChangeRates(
      graph,
      stepUnits,
      units,
      batch,
      createRng(options.seed, 'top-gradient', label),
      observe,
    );
  };

  const before = measure(context.measureBatches[0]!, 'measure-0');
  const participating = units
    .map((_, i) => i)
    .filter((i) => {
      const rate = before.rates[i]!;
      const excludedOutput = options.excludeOutputs && scales.outputUnits.has(units[i]!);
      return Number.isFinite(rate) && rate > 0 && !excludedOutput && context.selected.has(units[i]!);
    });

  let logScale = new Map<number, number>();
  const pool: PooledMeasurement[] = [{ measurement: before, logScale }];
  let latest = before;
  let rounds = 0;
  let observedFinal = false;
  let lastStep = new Map<number, number>();
  // Each round: update the scales from what is known, then measure again unless done.
  for (let round = 1; round <= context.maxRounds; round++) {
    if (options.between === 'iterative' && logSpread(latest.rates, participating) < options.tolerance) break;
    const target =
      options.between === 'closed-form'
        ? solveScales(scales, pool, participating)
        : addLogScales(logScale, dampedStep(scales, latest, participating, options.alpha));
    lastStep = new Map([...target].map(([g, rho]) => [g, rho - (logScale.get(g) ?? 0)]));
    applyScales(scales, lastStep);
    logScale = target;
    rounds = round;
    context.onRound?.(round, context.maxRounds);
    const largestStep = Math.max(0, ...[...lastStep.values()].map(Math.abs));
    // Closed form: the last measurement moved no scale by more than the tolerance, or the budget of
    // measurements is spent; the pooled estimate already includes every pass.
    const settled = options.between === 'closed-form' && round > 1 && largestStep < options.tolerance;
    const lastClosedForm = options.between === 'closed-form' && round === context.maxRounds;
    if (settled || lastClosedForm) break;
    const batch = context.verifyBatches[(round - 1) % context.verifyBatches.length]!;
    latest = measure(batch, `verify-${round}`, context.observeFinal?.());
    observedFinal = true;
    lastStep = new Map();
    pool.push({ measurement: latest, logScale });
    await new Promise((resolve) => setImmediate(resolve));
  }
  const after: RateMeasurement =
    options.between === 'closed-form' ? { ...latest, rates: predictRates(scales, pool, logScale) } : latest;
  return { participating, before, after, logScale, rounds, passes, observedFinal, sinceObserved: lastStep };
}

function addLogScales(base: Map<number, number>, step: Map<number, number>): Map<number, number> {
  const sum = new Map(base);
  for (const [g, rho] of step) sum.set(g, (sum.get(g) ?? 0) + rho);
  return sum;
}

/**
 * The paper's update: r_k = (C_k / C̄)^(α/2) — a layer that changes too fast gets larger weights —
 * with layers tied at a merge sharing the geometric mean of their r, fixed groups left at 1.
 */
function dampedStep(
  scales: ScaleGraph,
  measurement: RateMeasurement,
  participating: number[],
  alpha: number,
): Map<number, number> {
  const logs = participating.map((i) => Math.log(measurement.rates[i]!));
  const mean = logs.reduce((s, v) => s + v, 0) / Math.max(logs.length, 1);
  const sums = new Map<number, [number, number]>();
  participating.forEach((unitIndex, k) => {
    const group = scales.unitGroup[unitIndex]!;
    if (scales.fixed.has(group)) return;
    const entry = sums.get(group) ?? [0, 0];
    entry[0] += (alpha / 2) * (logs[k]! - mean);
    entry[1] += 1;
    sums.set(group, entry);
  });
  return new Map([...sums].map(([g, [total, count]]) => [g, total / count]));
}
