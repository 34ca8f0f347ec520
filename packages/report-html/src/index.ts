export { CHARTS, type ChartId, type ChartSpec, chartsWithData } from './charts.js';
export { type RenderOptions, renderReportHtml, reportScriptSources } from './render.js';
