/**
 * One initialization run: random filters → within-layer → between-layer → report, on a LayersModel
 * in place. Knows nothing of files, queues or HTTP: data comes in as tensors, progress goes out
 * through a callback and cancellation comes in as an AbortSignal.
 */

import { InitOptions, type InitOptionsInput, type InitReport } from '@ddinit/contracts';
import * as tf from '@tensorflow/tfjs';
import { type AffineUnit, affineUnits } from './affine.js';
import { type BetweenOutcome, betweenLayer } from './between-layer.js';
import { aborted, optionsInvalid, sampleMismatch, unsupportedModel } from './errors.js';
import { forwardBatch, splitBatches } from './forward.js';
import { buildGraph, type GraphStep } from './graph.js';
import { isAffineClass } from './layer-rules.js';
import { ChannelMoments } from './moments.js';
import { buildReport, type PerUnitStats } from './report.js';
import { buildScaleGraph } from './scale-graph.js';
import { selectUnits } from './selection.js';
import { type UnitOutcome, withinLayer } from './within-layer.js';

export type Phase = 'prepare' | 'within' | 'between' | 'report';

export interface Progress {
  phase: Phase;
  /** Current layer (1-based) and layer count within the phase, where the phase goes layer by layer. */
  layer?: number;
  layers?: number;
  /** Overall fraction done, 0..1, never decreasing. */
  fraction: number;
  message: string;
}

export interface InitializeRequest {
  model: tf.LayersModel;
  /** The init sample, [N, …input shape], preprocessed as the model expects. */
  sample: tf.Tensor;
  /** Images held out to report how the statistics generalize. */
  heldOut?: tf.Tensor | null;
  options?: InitOptionsInput;
  /** False for a topology-only model: every kernel then counts as absent. */
  hasWeights: boolean;
  backend: { name: string; threads: number };
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
  ddinitVersion?: string;
}

const PHASE_SPAN: Record<Phase, [number, number]> = {
  prepare: [0, 0.05],
  within: [0.05, 0.6],
  between: [0.6, 0.95],
  report: [0.95, 1],
};

/** Parses options, turning schema failures into one error that names every bad field. */
export function parseOptions(input: InitOptionsInput | undefined): InitOptions {
  const parsed = InitOptions.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (issue) => `${issue.path.join('.') || '(options)'}: ${issue.message}`,
  );
  throw optionsInvalid(problems.join('; '));
}

export async function initialize(request: InitializeRequest): Promise<InitReport> {
  const options = parseOptions(request.options);
  const { model, signal } = request;
  const timings: Record<string, number> = {};
  let clock = performance.now();
  const lap = (phase: string) => {
    const now = performance.now();
    timings[phase] = (timings[phase] ?? 0) + (now - clock);
    clock = now;
  };
  const progress = (phase: Phase, within: number, message: string, layer?: number, layers?: number) => {
    const [start, end] = PHASE_SPAN[phase];
    request.onProgress?.({ phase, fraction: start + (end - start) * within, message, layer, layers });
  };
  const checkAbort = () => {
    if (signal?.aborted) throw aborted();
  };

  progress('prepare', 0, 'analysing the model');
  const graph = buildGraph(model);
  if (graph.inputIds.length !== 1)
    throw unsupportedModel(`it has ${graph.inputIds.length} inputs; ddinit needs one`);
  checkSample(graph.shapes.get(graph.inputIds[0]!)!, request.sample);
  if (request.heldOut) checkSample(graph.shapes.get(graph.inputIds[0]!)!, request.heldOut);
  const stepUnits = new Map<GraphStep, AffineUnit[]>();
  for (const step of graph.steps) {
    if (isAffineClass(step.className)) stepUnits.set(step, affineUnits(step.layer, step.className));
  }
  const units = [...stepUnits.values()].flat();
  if (units.length === 0)
    throw unsupportedModel('it has no affine layer (Dense, Conv1D, Conv2D, …) to initialize');
  const selected = selectUnits(units, options.layers, request.hasWeights);

  const initBatches = splitBatches(request.sample, options.batchSize);
  const heldOutBatches = request.heldOut ? splitBatches(request.heldOut, options.batchSize) : [];
  let forwardPasses = 0;
  const warnings: string[] = [];
  try {
    const heldOutBefore = heldOutBatches.length
      ? observePreActivations(graph, stepUnits, units, heldOutBatches)
      : null;
    forwardPasses += heldOutBatches.length;
    lap('prepare');
    checkAbort();

    const normalizes = options.random !== 'keep' || options.normalizeKept || options.method === 'lsuv';
    let within: UnitOutcome[] | null = null;
    if (normalizes && selected.size > 0) {
      within = await withinLayer(
        {
          graph,
          units: stepUnits,
          selected,
          options,
          maxPatches: 8192,
          signal,
          onLayer: (index, count, name) =>
            progress('within', index / count, `within-layer: ${name}`, index + 1, count),
        },
        initBatches,
      );
      forwardPasses += initBatches.length;
    }
    lap('within');

    let between: BetweenOutcome | null = null;
    let heldOutAfter: Map<AffineUnit, ChannelMoments> | null = null;
    const scales = buildScaleGraph(graph, stepUnits, selected, {
      fixOutputs: options.between === 'closed-form' || options.excludeOutputs,
    });
    if (options.method === 'lsuv' && options.between !== 'off') {
      warnings.push('LSUV has no between-layer step: between-layer normalization was skipped');
    } else if (options.between !== 'off' && selected.size > 0) {
      let lastObserved: Map<AffineUnit, ChannelMoments> | null = null;
      const verifyBatches = heldOutBatches.length
        ? heldOutBatches
        : initBatches.slice(1).concat(initBatches[0]!);
      between = await betweenLayer({
        graph,
        stepUnits,
        scales,
        selected,
        options,
        measureBatches: initBatches,
        verifyBatches,
        maxRounds: options.iterations ?? (options.between === 'closed-form' ? 2 : 10),
        signal,
        onRound: (round, rounds) => progress('between', round / rounds, `between-layer: round ${round}`),
        observeFinal: () => {
          const moments = new Map(units.map((u) => [u, new ChannelMoments(u.outChannels)]));
          lastObserved = moments;
          return (unit, z) => moments.get(unit)!.add(z);
        },
      });
      forwardPasses += between.passes;
      // The last verifying pass saw the whole held-out set. A rescale after it multiplies each unit's
      // pre-activations by its group's factor exactly, so its statistics carry over to the final weights.
      if (heldOutBatches.length === 1 && between.observedFinal && lastObserved) {
        const sinceObserved = between.sinceObserved;
        const observed: Map<AffineUnit, ChannelMoments> = lastObserved;
        heldOutAfter = new Map(
          scales.units.map((unit, i) => [
            unit,
            observed.get(unit)!.scaled(Math.exp(sinceObserved.get(scales.unitGroup[i]!) ?? 0)),
          ]),
        );
      }
    }
    lap('between');
    checkAbort();

    progress('report', 0, 'measuring the held-out sample');
    if (heldOutBatches.length && !heldOutAfter) {
      heldOutAfter = observePreActivations(graph, stepUnits, units, heldOutBatches);
      forwardPasses += heldOutBatches.length;
    }
    const stats: PerUnitStats = { within, heldOutBefore, heldOutAfter };
    const report = buildReport({
      units,
      selected,
      scales,
      between,
      stats,
      options,
      backend: request.backend,
      images: { init: request.sample.shape[0]!, heldOut: request.heldOut?.shape[0] ?? 0 },
      passes: { forward: forwardPasses, backward: between?.passes ?? 0 },
      timingsMs: timings,
      warnings,
      ddinitVersion: request.ddinitVersion ?? '0.1.0',
    });
    lap('report');
    report.timingsMs = timings;
    progress('report', 1, 'done');
    return report;
  } finally {
    for (const batch of [...initBatches, ...heldOutBatches]) batch.dispose();
  }
}

function checkSample(expected: (number | null)[], sample: tf.Tensor): void {
  const actual = sample.shape.slice(1);
  const matches =
    actual.length === expected.length - 1 &&
    actual.every((d, i) => expected[i + 1] == null || expected[i + 1] === d);
  if (!matches) throw sampleMismatch(`[N, ${expected.slice(1).join(', ')}]`, `[${sample.shape.join(', ')}]`);
  if (sample.shape[0]! < 2) throw sampleMismatch('at least 2 images', `[${sample.shape.join(', ')}]`);
}

/** Per-unit pre-activation moments of the current weights over `batches` (forward only). */
function observePreActivations(
  graph: ReturnType<typeof buildGraph>,
  stepUnits: Map<GraphStep, AffineUnit[]>,
  units: AffineUnit[],
  batches: tf.Tensor[],
): Map<AffineUnit, ChannelMoments> {
  const moments = new Map(units.map((u) => [u, new ChannelMoments(u.outChannels)]));
  for (const batch of batches)
    tf.tidy(() => void forwardBatch(graph, stepUnits, batch, (unit, z) => moments.get(unit)!.add(z)));
  return moments;
}
