export { CHARTS, type ChartId, type ChartSpec, chartsWithData } from './charts.js';
export { type RenderOptions, renderReportHtml } from './render.js';
