/**
 * The page's charts: which ones exist, when they have data, and the client-side code that draws them
 * (uPlot's IIFE build plus `client/charts.js`, both read from disk once and inlined).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { InitReport, LayerReport } from '@ddinit/contracts';

export type ChartId = 'std-init' | 'std-heldout' | 'mean-init' | 'mean-heldout' | 'change-rate' | 'scale';

export interface ChartSpec {
  id: ChartId;
  title: string;
  caption: string;
  /** Shown instead of the chart when no layer has the data (e.g. `--held-out 0`, LSUV has no change rate). */
  empty: string;
  hasData: (layer: LayerReport) => boolean;
}

const RANGE_CAPTION = 'Median over output channels (dot) with the min–max range; ○ before, ● after.';

/** In page order. The client script keys on the same ids (`figure[data-chart]`). */
export const CHARTS: readonly ChartSpec[] = [
  {
    id: 'std-init',
    title: 'Pre-activation std · init sample',
    caption: `${RANGE_CAPTION} Before: drawn filters; after: final weights.`,
    empty: 'No layer has init-sample statistics.',
    hasData: (l) => l.stats.initBefore !== undefined || l.stats.initAfter !== undefined,
  },
  {
    id: 'std-heldout',
    title: 'Pre-activation std · held-out sample',
    caption: `${RANGE_CAPTION} Before: model as loaded; after: final weights.`,
    empty: 'No held-out sample in this run.',
    hasData: (l) => l.stats.heldOutBefore !== undefined || l.stats.heldOutAfter !== undefined,
  },
  {
    id: 'mean-init',
    title: 'Pre-activation mean · init sample',
    caption: `${RANGE_CAPTION} Before: drawn filters; after: final weights.`,
    empty: 'No layer has init-sample statistics.',
    hasData: (l) => l.stats.initBefore !== undefined || l.stats.initAfter !== undefined,
  },
  {
    id: 'mean-heldout',
    title: 'Pre-activation mean · held-out sample',
    caption: `${RANGE_CAPTION} Before: model as loaded; after: final weights.`,
    empty: 'No held-out sample in this run.',
    hasData: (l) => l.stats.heldOutBefore !== undefined || l.stats.heldOutAfter !== undefined,
  },
  {
    id: 'change-rate',
    title: 'Change rate C_k = ‖∇W‖ / ‖W‖',
    caption:
      'Before and after between-layer normalization, log scale; dashed lines: geometric means. Equal rates after = balanced training speed.',
    empty: 'No change rates: between-layer normalization did not run.',
    hasData: (l) => l.changeRate !== undefined,
  },
  {
    id: 'scale',
    title: 'Cumulative scale r per layer',
    caption: 'Factor between-layer normalization applied to each layer; dashed line: r = 1 (unchanged).',
    empty: 'No scales: between-layer normalization did not run.',
    hasData: (l) => l.changeRate !== undefined,
  },
];

/** Charts that will draw a plot for this report; the others show their `empty` note. */
export function chartsWithData(report: InitReport): ChartId[] {
  return CHARTS.filter((chart) => report.layers.some(chart.hasData)).map((chart) => chart.id);
}

export interface ClientAssets {
  /** uPlot's minified IIFE build (defines the global `uPlot`), with its license line. */
  libraryJs: string;
  libraryCss: string;
  /** Draws every `figure[data-chart]` from the inlined report. */
  clientJs: string;
  libraryVersion: string;
}

let cached: ClientAssets | undefined;

/** Read once per process: the files are ~50 kB and every page inlines the same bytes. */
export function clientAssets(): ClientAssets {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const pkg = JSON.parse(readFileSync(require.resolve('uplot/package.json'), 'utf8')) as { version: string };
  const license = `/*! uPlot v${pkg.version} | (c) Leon Sorokin | MIT License */\n`;
  cached = {
    libraryJs: license + readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    libraryCss: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
    // Beside this module in src/ (tests) and in dist/ (tsc emits it: allowJs; moduleDetection legacy keeps
    // it a classic script, without an `export {}`).
    clientJs: readFileSync(new URL('./client/charts.js', import.meta.url), 'utf8'),
    libraryVersion: pkg.version,
  };
  return cached;
}
