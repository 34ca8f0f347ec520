/**
 * One self-contained HTML page for an InitReport: summary, timings, options, six per-layer charts and the
 * layer table. Everything is inlined (CSS, uPlot, the drawing script, the report as JSON), so the file opens
 * offline; every number is also in the server-rendered tables, so the page reads without JavaScript.
 */
import { createHash } from 'node:crypto';
import type { ChannelStats, InitReport, LayerReport, Spread } from '@ddinit/contracts';
import { CHARTS, type ChartSpec, chartsWithData, clientAssets } from './charts.js';
import { escapeHtml as esc, inlineScript, inlineStyle, jsonForScript } from './escape.js';
import { duration, percent, shape, sig3 } from './format.js';
import { STYLES } from './styles.js';

export interface RenderOptions {
  /** Page title and heading. @defaultValue 'ddinit initialization report' */
  title?: string;
}

/** Tableau 10: distinct in light and dark mode, so the phase bars need no theme variables. */
const PHASE_COLORS = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];

export function renderReportHtml(report: InitReport, options: RenderOptions = {}): string {
  const assets = clientAssets();
  const title = options.title ?? 'ddinit initialization report';
  const libraryJs = inlineScript(assets.libraryJs);
  const clientJs = inlineScript(assets.clientJs);
  // The page may only run its own two scripts and fetch nothing: an injected handler or URL stays inert.
  const csp = [
    "default-src 'none'",
    `script-src ${reportScriptSources().join(' ')}`,
    "style-src 'unsafe-inline'",
    'img-src data:',
  ].join('; ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">
<title>${esc(title)}</title>
<style>${inlineStyle(assets.libraryCss)}
${inlineStyle(STYLES)}</style>
</head>
<body>
<div class="wrap">
${header(report, title)}
${summary(report)}
${reportWarnings(report.warnings)}
<section class="two">
${timings(report.timingsMs)}
${optionsTable(report.options)}
</section>
${charts(report)}
${layerTable(report.layers)}
<footer>ddinit ${esc(report.ddinitVersion)} · charts by uPlot ${esc(assets.libraryVersion)} (MIT) · self-contained page: opens offline.</footer>
</div>
<script type="application/json" id="ddinit-report">${jsonForScript(report)}</script>
<script>${libraryJs}</script>
<script>${clientJs}</script>
</body>
</html>
`;
}

/**
 * The CSP sources (`'sha256-…'`) of the page's two inline scripts. A page that frames the report
 * through `srcdoc` passes its own policy on to it, so it must allow these too.
 */
export function reportScriptSources(): string[] {
  const assets = clientAssets();
  return [sha256(inlineScript(assets.libraryJs)), sha256(inlineScript(assets.clientJs))];
}

function sha256(source: string): string {
  return `'sha256-${createHash('sha256').update(source, 'utf8').digest('base64')}'`;
}

function header(report: InitReport, title: string): string {
  const o = report.options;
  const sub = `ddinit ${report.ddinitVersion} · method ${o.method} · random ${o.random} · between ${o.between}`;
  return `<header class="top"><h1>${esc(title)}</h1><p class="sub">${esc(sub)}</p></header>`;
}

/** A summary tile: label, the value (already escaped) and a muted second line. */
function tile(label: string, value: string, note = ''): string {
  return `<div class="tile"><dt>${esc(label)}</dt><dd>${value}<small>${esc(note)}</small></dd></div>`;
}

function plural(count: number, one: string): string {
  return `${count} ${one}${count === 1 ? '' : 's'}`;
}

function warningNote(reportWide: number, layers: number): string {
  const parts = [
    reportWide > 0 ? `${reportWide} report-wide` : '',
    layers > 0 ? `in ${plural(layers, 'layer')}` : '',
  ];
  return parts.filter(Boolean).join(' · ') || 'none';
}

function summary(report: InitReport): string {
  const selected = report.layers.filter((layer) => layer.selected).length;
  const warnedLayers = report.layers.filter((layer) => layer.warnings.length > 0).length;
  const layerWarnings = report.layers.reduce((sum, layer) => sum + layer.warnings.length, 0);
  const phases = Object.values(report.timingsMs);
  const total = phases.reduce((sum, ms) => sum + ms, 0);
  const spread = report.changeRateSpread;
  const tiles = [
    tile('Layers', String(report.layers.length), `${selected} selected`),
    tile('Seed', esc(String(report.seed))),
    tile('Backend', esc(report.backend.name), plural(report.backend.threads, 'thread')),
    tile('Images', esc(`${report.images.init} / ${report.images.heldOut}`), 'init / held-out'),
    tile('Passes', esc(`${report.passes.forward} / ${report.passes.backward}`), 'forward / backward'),
    tile(
      'Change-rate spread',
      spread ? `${esc(sig3(spread.before))}× → ${esc(sig3(spread.after))}×` : '–',
      spread ? 'max C_k / min C_k' : 'no between-layer step',
    ),
    tile('Total time', esc(duration(total)), plural(phases.length, 'phase')),
    tile(
      'Warnings',
      String(report.warnings.length + layerWarnings),
      warningNote(report.warnings.length, warnedLayers),
    ),
  ];
  // The CLI adds a free-text `detail` (build, skipped backends) that the schema does not promise.
  const detail = (report.backend as { detail?: unknown }).detail;
  const detailLine =
    typeof detail === 'string' && detail !== ''
      ? `<p class="backend-detail">Backend: ${esc(detail)}</p>`
      : '';
  return `<section aria-label="Run summary"><dl class="tiles">${tiles.join('')}</dl>${detailLine}</section>`;
}

function reportWarnings(warnings: readonly string[]): string {
  if (warnings.length === 0) return '';
  const items = warnings.map((w) => `<li>${esc(w)}</li>`).join('');
  return `<section class="warnings" role="note" data-report-warnings><h2>Report warnings</h2><ul>${items}</ul></section>`;
}

function timings(timingsMs: Record<string, number>): string {
  const phases = Object.entries(timingsMs).filter(([, ms]) => Number.isFinite(ms) && ms >= 0);
  const total = phases.reduce((sum, [, ms]) => sum + ms, 0);
  const longest = Math.max(0, ...phases.map(([, ms]) => ms));
  const color = (i: number) => PHASE_COLORS[i % PHASE_COLORS.length];
  const width = (part: number, whole: number) => (whole > 0 ? ((100 * part) / whole).toFixed(2) : '0');
  const stack = phases
    .map(
      ([name, ms], i) =>
        `<span style="width:${width(ms, total)}%;background:${color(i)}" title="${esc(name)}"></span>`,
    )
    .join('');
  const rows = phases
    .map(
      ([name, ms], i) =>
        `<div><span class="dot" style="background:${color(i)}"></span>${esc(name)}</div>` +
        `<div class="bar"><span style="width:${width(ms, longest)}%;background:${color(i)}"></span></div>` +
        `<div class="num">${esc(duration(ms))}</div><div class="num muted">${esc(percent(ms, total))}</div>`,
    )
    .join('');
  const body =
    phases.length === 0
      ? '<p class="none">No timings.</p>'
      : `<div class="stack" aria-hidden="true">${stack}</div><div class="phases" data-timings>${rows}</div>`;
  return `<div class="card"><h2>Time per phase <small class="muted">${esc(duration(total))} total</small></h2>${body}</div>`;
}

/** Nested options (`layers.include`) become dotted keys, so the table stays two columns. */
function flatten(value: unknown, key: string, out: [string, string][]): [string, string][] {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, key === '' ? k : `${key}.${k}`, out);
  } else if (value !== undefined) {
    out.push([key, Array.isArray(value) ? value.map(String).join(', ') || '[]' : String(value)]);
  }
  return out;
}

function optionsTable(options: InitReport['options']): string {
  const rows = flatten(options, '', [])
    .map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`)
    .join('');
  return `<div class="card"><h2>Options</h2><dl class="kv" data-options>${rows}</dl></div>`;
}

function figure(spec: ChartSpec, hasData: boolean): string {
  const caption = `<figcaption><h3>${esc(spec.title)}</h3><p>${esc(spec.caption)}</p></figcaption>`;
  if (!hasData) {
    return `<figure class="chart" data-chart="${spec.id}" data-empty="true">${caption}<p class="empty-note">${esc(spec.empty)}</p></figure>`;
  }
  return `<figure class="chart" data-chart="${spec.id}">${caption}<div class="plot" role="img" aria-label="${esc(spec.title)}"></div></figure>`;
}

function charts(report: InitReport): string {
  const withData = new Set(chartsWithData(report));
  const figures = CHARTS.map((spec) => figure(spec, withData.has(spec.id))).join('\n');
  return `<section aria-label="Per-layer charts"><h2>Per-layer charts</h2>
<p class="legend-note small">Layers in model order on the x axis. Hover or tap a chart for one layer's values; click a legend entry to hide that series.</p>
<noscript><p class="empty-note">The charts need JavaScript; the table below has every number.</p></noscript>
<div class="charts">
${figures}
</div></section>`;
}

function range(spread: Spread | undefined): string {
  return spread ? `${sig3(spread.min)} … ${sig3(spread.max)}` : '–';
}

/** Median before → after on the first line; the min … max ranges under it, wrapping at the arrow. */
function statCell(label: string, key: 'mean' | 'std', before?: ChannelStats, after?: ChannelStats): string {
  if (!before && !after)
    return `<td class="stat" data-label="${esc(label)}"><span class="none">–</span></td>`;
  const b = before?.[key];
  const a = after?.[key];
  return (
    `<td class="stat" data-label="${esc(label)}"><div><span class="ba"><span>${esc(sig3(b?.median))}</span> → <span>${esc(sig3(a?.median))}</span></span>` +
    `<span class="rng"><span>${esc(range(b))}</span> <span>→ ${esc(range(a))}</span></span></div></td>`
  );
}

function selectionCell(layer: LayerReport): string {
  const { random } = layer;
  const badge = layer.selected
    ? '<span class="badge yes">selected</span>'
    : '<span class="badge">kept</span>';
  const text = random.used === random.requested ? random.requested : `${random.requested} → ${random.used}`;
  const reason = random.fallbackReason ? `<span class="fallback">${esc(random.fallbackReason)}</span>` : '';
  return `<td data-label="Selected · random filters"><div>${badge} <span class="nowrap">${esc(text)}</span>${reason}</div></td>`;
}

const NONE = '<span class="none">–</span>';

/** Line-break hints after the separators of escaped layer names (`block2_proj_conv`, `sep/depthwise`). */
function breakable(escapedName: string): string {
  return escapedName.replace(/([_/.:-])/g, '$1<wbr>');
}

function layerRow(layer: LayerReport, index: number): string {
  const s = layer.stats;
  const cr = layer.changeRate;
  const classes = [layer.selected ? '' : 'unselected', layer.warnings.length > 0 ? 'has-warn' : '']
    .filter(Boolean)
    .join(' ');
  const warnings =
    layer.warnings.length === 0
      ? NONE
      : `<ul class="warn-list">${layer.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>`;
  return [
    `<tr data-layer="${esc(layer.name)}"${classes ? ` class="${classes}"` : ''}>`,
    `<td class="idx num" data-label="#">${index + 1}</td>`,
    `<td class="name wide" data-label="Layer">${breakable(esc(layer.name))}</td>`,
    `<td data-label="Class · kernel"><div>${esc(layer.className)}<span class="kernel">${esc(shape(layer.kernelShape))}</span></div></td>`,
    selectionCell(layer),
    statCell('Std · init', 'std', s.initBefore, s.initAfter),
    statCell('Std · held-out', 'std', s.heldOutBefore, s.heldOutAfter),
    statCell('Mean · init', 'mean', s.initBefore, s.initAfter),
    statCell('Mean · held-out', 'mean', s.heldOutBefore, s.heldOutAfter),
    `<td class="num" data-label="Change rate C_k">${cr ? `<span class="ba"><span>${esc(sig3(cr.before))}</span> → <span>${esc(sig3(cr.after))}</span></span>` : NONE}</td>`,
    `<td class="num" data-label="Scale r">${cr ? esc(sig3(cr.scale)) : NONE}</td>`,
    `<td class="wide${layer.warnings.length === 0 ? ' no-warn' : ''}" data-label="Warnings">${warnings}</td>`,
    '</tr>',
  ].join('');
}

function layerTable(layers: readonly LayerReport[]): string {
  const head = [
    '<th class="idx">#</th>',
    '<th class="name-h">Layer</th>',
    '<th>Class · kernel</th>',
    '<th>Random filters<small>requested → used</small></th>',
    '<th>Std · init</th>',
    '<th>Std · held-out</th>',
    '<th>Mean · init</th>',
    '<th>Mean · held-out</th>',
    '<th class="num">C_k<small>before → after</small></th>',
    '<th class="num">r<small>scale</small></th>',
    '<th>Warnings</th>',
  ].join('');
  const rows = layers.map(layerRow).join('\n');
  return `<section aria-label="Layers"><h2>Layers</h2>
<p class="legend-note small">Pre-activation statistics over output channels: median before → after, and under it min … max before → after. Init sample: drawn filters → final weights; held-out sample: model as loaded → final weights.</p>
<div class="table-wrap"><table class="layers"><thead><tr>${head}</tr></thead><tbody>
${rows}
</tbody></table></div></section>`;
}
