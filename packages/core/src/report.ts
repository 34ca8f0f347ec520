/** The per-run report (ALGORITHM.md §5), assembled from what each phase measured. */
import type { ChannelStats, InitOptions, InitReport, LayerReport } from '@ddinit/contracts';
import type { AffineUnit } from './affine.js';
import type { BetweenOutcome } from './between-layer.js';
import { type ChannelMoments, channelStats, summarize } from './moments.js';
import { type ScaleGraph, UNSCALED } from './scale-graph.js';
import type { UnitOutcome } from './within-layer.js';

export interface PerUnitStats {
  within: UnitOutcome[] | null;
  heldOutBefore: Map<AffineUnit, ChannelMoments> | null;
  heldOutAfter: Map<AffineUnit, ChannelMoments> | null;
}

export interface ReportInput {
  units: AffineUnit[];
  selected: Set<AffineUnit>;
  scales: ScaleGraph;
  between: BetweenOutcome | null;
  stats: PerUnitStats;
  options: InitOptions;
  backend: { name: string; threads: number };
  images: { init: number; heldOut: number };
  passes: { forward: number; backward: number };
  timingsMs: Record<string, number>;
  warnings: string[];
  ddinitVersion: string;
}

export function buildReport(input: ReportInput): InitReport {
  const { units, scales, between, stats } = input;
  const withinByUnit = new Map((stats.within ?? []).map((o) => [o.unit, o]));
  const layers: LayerReport[] = units.map((unit, i) => {
    const outcome = withinByUnit.get(unit);
    const group = scales.unitGroup[i]!;
    const scale = group === UNSCALED ? 1 : Math.exp(between?.logScale.get(group) ?? 0);
    const warnings = [...(outcome?.warnings ?? [])];
    const fixedWhy = scales.fixed.get(group);
    // Outputs keep their scale by design; any other reason a selected layer was not rescaled is news.
    const outputKept = scales.outputUnits.has(unit) && input.options.between === 'closed-form';
    if (between && input.selected.has(unit) && fixedWhy && !outputKept)
      warnings.push(`not rescaled: ${fixedWhy}`);
    const layerStats: LayerReport['stats'] = {};
    if (outcome) {
      layerStats.initBefore = channelStats(outcome.drawn.mean, outcome.drawn.std);
      // Rescaling multiplies this unit's pre-activations by its cumulative r, exactly.
      layerStats.initAfter = scaled(channelStats(outcome.normalized.mean, outcome.normalized.std), scale);
    }
    const before = stats.heldOutBefore?.get(unit);
    const after = stats.heldOutAfter?.get(unit);
    if (before) layerStats.heldOutBefore = summarize(before);
    if (after) layerStats.heldOutAfter = summarize(after);
    const participates = between?.participating.includes(i) ?? false;
    return {
      name: unit.name,
      className: unit.className,
      kernelShape: [...unit.kernel.shape],
      selected: input.selected.has(unit),
      random: outcome?.random ?? { requested: input.options.random, used: 'keep' },
      stats: layerStats,
      ...(between && participates
        ? { changeRate: { before: between.before.rates[i]!, after: between.after.rates[i]!, scale } }
        : {}),
      warnings,
    };
  });
  const spreadOf = (rates: Float64Array) => {
    const values = between!.participating.map((i) => rates[i]!);
    return Math.max(...values) / Math.min(...values);
  };
  return {
    ddinitVersion: input.ddinitVersion,
    seed: input.options.seed,
    options: input.options,
    backend: input.backend,
    images: input.images,
    passes: input.passes,
    timingsMs: input.timingsMs,
    ...(between && between.participating.length > 0
      ? { changeRateSpread: { before: spreadOf(between.before.rates), after: spreadOf(between.after.rates) } }
      : {}),
    layers,
    warnings: input.warnings,
  };
}

function scaled(stats: ChannelStats, factor: number): ChannelStats {
  const times = (s: ChannelStats['mean']) => ({
    min: s.min * factor,
    median: s.median * factor,
    max: s.max * factor,
  });
  return { mean: times(stats.mean), std: times(stats.std) };
}
