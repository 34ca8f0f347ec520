/**
 * The human-readable result of `ddinit init`: the run at a glance, a per-layer table, footnotes,
 * warnings and the written files. Built from the report and the written-file list only.
 */
import type { ChannelStats, InitReport, LayerReport } from '@ddinit/contracts';
import type { WrittenFile } from '@ddinit/storage';
import { arrow, ms, plural, sci3, sig3 } from './format.js';
import { type Column, renderPairs, renderTable } from './table.js';

export interface SummaryInput {
  report: InitReport;
  files: readonly WrittenFile[];
  /** The output folder, as the user will recognize it (absolute). */
  outDir: string;
}

export function renderSummary({ report, files, outDir }: SummaryInput): string {
  const selected = report.layers.filter((layer) => layer.selected).length;
  const lines = [
    `ddinit ${report.ddinitVersion}: initialized ${selected} of ${plural(report.layers.length, 'affine layer')}`,
    '',
    ...renderPairs(overview(report)),
    '',
    ...layerTable(report.layers),
    '',
    ...warnings(report),
    '',
    ...writtenFiles(files, outDir),
  ];
  return `${lines.join('\n')}\n`;
}

function overview(report: InitReport): [string, string][] {
  const timings = Object.entries(report.timingsMs);
  const total = timings.reduce((sum, [, value]) => sum + value, 0);
  const spread = report.changeRateSpread;
  return [
    ['backend', `${report.backend.name} (${plural(report.backend.threads, 'thread')})`],
    ['images', `${report.images.init} init, ${report.images.heldOut} held out`],
    ['seed', String(report.seed)],
    ['passes', `${report.passes.forward} forward, ${report.passes.backward} backward`],
    [
      'time (ms)',
      `${timings.map(([phase, value]) => `${phase} ${ms(value)}`).join(', ')}; total ${ms(total)}`,
    ],
    [
      'change-rate spread',
      spread
        ? `${arrow(sig3(spread.before), sig3(spread.after))} (max/min ‖∇W‖/‖W‖ over the rescaled layers)`
        : '– (no between-layer normalization)',
    ],
  ];
}

/** Output channels of an affine unit, from its kernel shape as the report gives it. */
export function outputChannels(
  layer: Pick<LayerReport, 'name' | 'className' | 'kernelShape'>,
): number | undefined {
  const shape = layer.kernelShape;
  const depthwise =
    layer.className === 'DepthwiseConv2D' ||
    (layer.className === 'SeparableConv2D' && layer.name.endsWith('/depthwise'));
  // Depthwise kernels are [h, w, in, multiplier]; transposed convolutions [h, w, out, in].
  if (depthwise) return shape.length >= 2 ? shape.at(-2)! * shape.at(-1)! : undefined;
  if (layer.className === 'Conv2DTranspose') return shape.at(-2);
  return shape.at(-1);
}

interface StatsSource {
  before?: ChannelStats;
  after?: ChannelStats;
  heldOut: boolean;
}

/** Held-out statistics (as loaded → after) where the run measured them, else the init sample's (as drawn → after). */
function statsSource(layer: LayerReport): StatsSource {
  const { stats } = layer;
  if (stats.heldOutBefore || stats.heldOutAfter)
    return { before: stats.heldOutBefore, after: stats.heldOutAfter, heldOut: true };
  return { before: stats.initBefore, after: stats.initAfter, heldOut: false };
}

const FALLBACK = '*';
const INIT_SAMPLE = '°';

function layerTable(layers: readonly LayerReport[]): string[] {
  const sources = layers.map(statsSource);
  const mixed = sources.some((s) => s.heldOut) && sources.some((s) => !s.heldOut);
  const columns: Column[] = [
    { header: 'layer' },
    { header: 'class' },
    { header: 'filters', align: 'right' },
    { header: 'random' },
    { header: 'std before → after', align: 'right' },
    { header: 'mean after', align: 'right' },
    { header: 'change rate before → after', align: 'right' },
    { header: 'scale r', align: 'right' },
  ];
  const rows = layers.map((layer, i) => {
    const source = sources[i]!;
    const hasStats = source.before !== undefined || source.after !== undefined;
    const std = hasStats ? arrow(sig3(source.before?.std.median), sig3(source.after?.std.median)) : '–';
    return [
      layer.name,
      layer.className,
      String(outputChannels(layer) ?? '?'),
      randomCell(layer),
      mixed && !source.heldOut && hasStats ? `${std}${INIT_SAMPLE}` : std,
      sig3(source.after?.mean.median),
      layer.changeRate ? arrow(sci3(layer.changeRate.before), sci3(layer.changeRate.after)) : '–',
      layer.changeRate ? sig3(layer.changeRate.scale) : '–',
    ];
  });
  const notes: string[] = [];
  const sample = sources.every((s) => !s.heldOut)
    ? 'the init sample (before: as drawn)'
    : 'the held-out sample (before: as loaded)';
  notes.push(`std, mean: medians over output channels of the pre-activations, on ${sample}.`);
  if (mixed)
    notes.push(
      `${INIT_SAMPLE} on the init sample (before: as drawn): no held-out statistics for this layer.`,
    );
  for (const layer of layers) {
    if (!isFallback(layer)) continue;
    const reason = layer.random.fallbackReason ? `: ${layer.random.fallbackReason}` : '';
    const { requested, used } = layer.random;
    const what =
      requested === used ? `${layer.name} (${used})` : `${layer.name}: asked for ${requested}, used ${used}`;
    notes.push(`${FALLBACK} ${what}${reason}`);
  }
  return [...renderTable(columns, rows), '', ...notes];
}

function isFallback(layer: LayerReport): boolean {
  return (
    layer.selected &&
    (layer.random.fallbackReason !== undefined || layer.random.used !== layer.random.requested)
  );
}

function randomCell(layer: LayerReport): string {
  if (!layer.selected) return 'not selected';
  return isFallback(layer) ? `${layer.random.used}${FALLBACK}` : layer.random.used;
}

function warnings(report: InitReport): string[] {
  const items = [
    ...report.warnings,
    ...report.layers.flatMap((layer) => layer.warnings.map((warning) => `${layer.name}: ${warning}`)),
  ];
  if (items.length === 0) return ['warnings: none'];
  return [`warnings (${items.length}):`, ...items.map((item) => `  ${item}`)];
}

function writtenFiles(files: readonly WrittenFile[], outDir: string): string[] {
  const rows = files.map((file) => [file.uri, `${file.bytes} bytes`]);
  const table = renderTable([{ header: 'file' }, { header: 'size', align: 'right' }], rows).slice(2);
  return [`wrote ${plural(files.length, 'file')} to ${outDir}:`, ...table.map((line) => `  ${line}`)];
}
