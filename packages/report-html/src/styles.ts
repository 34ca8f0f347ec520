/**
 * The page's CSS. Colors are custom properties so the client script can hand the same palette to the
 * canvas; system fonts only, so the page never reaches the network.
 */
export const STYLES = `
:root {
  color-scheme: light dark;
  --page: #f5f6f8; --card: #ffffff; --fg: #1c2128; --muted: #5d6773; --border: #e2e5ea;
  --grid: rgba(28, 33, 40, 0.08); --accent: #2563eb;
  --before: #d9731f; --after: #2563eb; --after-fill: rgba(37, 99, 235, 0.28);
  --warn-bg: #fff5db; --warn-border: #e0a100; --warn-fg: #6e4b00;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
}
@media (prefers-color-scheme: dark) {
  :root {
    --page: #0f1216; --card: #181c22; --fg: #e4e7eb; --muted: #98a2ae; --border: #2a3038;
    --grid: rgba(228, 231, 235, 0.09); --accent: #6ea8ff;
    --before: #f29a52; --after: #6ea8ff; --after-fill: rgba(110, 168, 255, 0.3);
    --warn-bg: #33290f; --warn-border: #c99a1c; --warn-fg: #f1d78a;
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--page); color: var(--fg);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
.wrap { max-width: 1440px; margin: 0 auto; padding: 20px 20px 40px; }
header.top { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 16px; margin-bottom: 14px; }
h1 { font-size: 22px; margin: 0; letter-spacing: -0.01em; overflow-wrap: anywhere; }
h2 { font-size: 16px; margin: 0 0 10px; }
h3 { font-size: 14px; margin: 0; }
.sub { color: var(--muted); margin: 0; }
.muted { color: var(--muted); }
small, .small { font-size: 12px; }
code, .mono { font-family: var(--mono); font-size: 12.5px; }
section { margin-top: 18px; }
.card { background: var(--card); border: 1px solid var(--border); border-radius: 10px; padding: 14px 16px; }

/* Summary tiles: as many per row as fit, two on a phone. */
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(130px, 1fr)); gap: 10px; margin: 0; }
.tile { background: var(--card); border: 1px solid var(--border); border-radius: 10px; padding: 10px 12px; min-width: 0; }
.tile dt { color: var(--muted); font-size: 12px; }
.tile dd { margin: 2px 0 0; font-size: 18px; font-weight: 600; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
.tile dd small { display: block; font-size: 12px; font-weight: 400; color: var(--muted); }
.backend-detail { margin: 8px 2px 0; color: var(--muted); font-size: 12px; overflow-wrap: anywhere; }

.warnings { background: var(--warn-bg); border: 1px solid var(--warn-border); color: var(--warn-fg); border-radius: 10px; padding: 10px 14px; }
.warnings h2 { font-size: 14px; margin: 0 0 4px; }
.warnings ul { margin: 0; padding-left: 20px; }

.two { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 12px; }
@media (max-width: 800px) { .two { grid-template-columns: minmax(0, 1fr); } }

/* Time per phase: one stacked bar for the proportions, then a row per phase. */
.stack { display: flex; height: 12px; border-radius: 6px; overflow: hidden; margin: 2px 0 10px; background: var(--grid); }
.stack span { display: block; min-width: 2px; }
.phases { display: grid; grid-template-columns: max-content minmax(40px, 1fr) max-content max-content; gap: 4px 10px; align-items: center; font-variant-numeric: tabular-nums; }
.phases .bar { height: 8px; border-radius: 4px; background: var(--grid); overflow: hidden; }
.phases .bar span { display: block; height: 100%; border-radius: 4px; }
.phases .dot { display: inline-block; width: 9px; height: 9px; border-radius: 2px; margin-right: 6px; vertical-align: baseline; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }

table { border-collapse: collapse; width: 100%; }
.kv { columns: 2 220px; column-gap: 24px; }
.kv div { display: flex; justify-content: space-between; gap: 12px; padding: 3px 0; border-bottom: 1px solid var(--border); break-inside: avoid; }
.kv dt { color: var(--muted); }
.kv dd { margin: 0; font-family: var(--mono); font-size: 12.5px; text-align: right; overflow-wrap: anywhere; }

/* Charts: two per row on a laptop, one on a phone. */
.legend-note { color: var(--muted); margin: -4px 0 10px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 460px), 1fr)); gap: 12px; }
figure.chart { margin: 0; min-width: 0; background: var(--card); border: 1px solid var(--border); border-radius: 10px; padding: 12px 12px 6px; }
figure.chart figcaption p { margin: 2px 0 6px; color: var(--muted); font-size: 12px; }
.plot { width: 100%; min-width: 0; overflow: hidden; }
.plot .uplot { width: 100%; font-family: inherit; }
.plot .u-legend { font-size: 12px; color: var(--fg); }
.plot .u-legend .u-marker { border-radius: 50%; }
.plot .u-legend th { font-weight: 500; }
.plot .u-legend .u-series > * { padding: 2px 4px; }
.empty-note { color: var(--muted); font-style: italic; margin: 18px 0; }
figure[data-error] .plot::after { content: "This chart could not be drawn."; color: var(--warn-fg); }

/* Layer table: scrolls sideways on a laptop with the name column pinned; one card per layer on a phone. */
.table-wrap { overflow-x: auto; border: 1px solid var(--border); border-radius: 10px; background: var(--card); }
.layers { font-size: 12.5px; font-variant-numeric: tabular-nums; }
.layers th, .layers td { padding: 6px 7px; border-bottom: 1px solid var(--border); text-align: left; vertical-align: top; }
.layers thead th { background: var(--card); color: var(--muted); font-weight: 600; font-size: 12px; }
.layers thead th small { display: block; font-weight: 400; }
.layers tbody tr:last-child td { border-bottom: 0; }
.layers .name { position: sticky; left: 0; background: var(--card); font-weight: 600; font-family: var(--mono); font-size: 12.5px; overflow-wrap: break-word; min-width: 100px; max-width: 220px; }
.layers thead th.name-h { left: 0; z-index: 2; }
.layers .idx { color: var(--muted); width: 1%; }
.layers .nowrap { white-space: nowrap; }
.ba { white-space: nowrap; }
.stat { font-size: 12px; }
.stat .rng, .kernel { display: block; color: var(--muted); font-size: 11.5px; }
.stat .rng > span { white-space: nowrap; }
.kernel { font-family: var(--mono); }
.badge { display: inline-block; padding: 0 7px; border-radius: 999px; font-size: 11.5px; border: 1px solid var(--border); white-space: nowrap; }
.badge.yes { color: var(--accent); border-color: currentColor; }
.fallback { display: block; color: var(--warn-fg); font-size: 11.5px; min-width: 120px; max-width: 240px; }
tr.unselected td:not(.name) { color: var(--muted); }
tr.has-warn td { background: var(--warn-bg); }
tr.has-warn td.name { background: var(--warn-bg); box-shadow: inset 3px 0 0 var(--warn-border); }
.warn-list { margin: 0; padding-left: 16px; color: var(--warn-fg); min-width: 140px; max-width: 320px; }
.none { color: var(--muted); }

@media (max-width: 720px) {
  .wrap { padding: 14px 12px 32px; }
  h1 { font-size: 19px; }
  .tiles { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  .tile dd { font-size: 16px; }
  .table-wrap { border: 0; background: transparent; overflow: visible; }
  .layers thead { display: none; }
  .layers, .layers tbody { display: block; width: 100%; }
  /* One card per layer, two label-over-value cells per line. */
  .layers tr { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); background: var(--card); border: 1px solid var(--border); border-radius: 10px; margin-bottom: 10px; overflow: hidden; }
  .layers td { display: block; min-width: 0; padding: 5px 10px; }
  .layers td::before { content: attr(data-label); display: block; color: var(--muted); font: 11px system-ui, sans-serif; }
  .layers td.wide { grid-column: 1 / -1; }
  .layers td.name { position: static; max-width: none; font-size: 14px; padding-top: 8px; }
  .layers td.name::before, .layers td.idx, .layers td.no-warn { display: none; }
  .layers td.num { text-align: left; }
  .warn-list { min-width: 0; max-width: none; }
  .fallback { max-width: none; }
}
footer { margin-top: 24px; color: var(--muted); font-size: 12px; }
`;
