import { createHash } from 'node:crypto';
import type { InitReport } from '@ddinit/contracts';
import { CHARTS, chartsWithData, clientAssets } from './charts.js';
import { escapeHtml } from './escape.js';
import { renderReportHtml } from './render.js';
import { FIXTURES, HOSTILE, hostileReport, loadFixture } from './testing/fixtures.js';
import { count, inlinedReport, inlineScripts } from './testing/page.js';

/** `src=`/`href=`/… to another origin, CSS `url()` or `@import`: anything that would hit the network. */
const NETWORK_REFS = [
  /\b(?:src|href|action|formaction|poster|srcset|data)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?\/\//i,
  /\b(?:src|href)\s*=\s*["']?\s*https?:/i,
  /url\(\s*["']?\s*(?:https?:)?\/\//i,
  /@import/i,
];

describe.each(FIXTURES)('renderReportHtml(%s)', (name) => {
  const report = loadFixture(name);
  const html = renderReportHtml(report, { title: `ddinit · ${name}` });

  test('one table row per layer, in model order, with the layer name', () => {
    const rows = [...html.matchAll(/<tr data-layer="([^"]*)"/g)].map((m) => m[1]);
    expect(rows).toEqual(report.layers.map((layer) => escapeHtml(layer.name)));
  });

  test('every chart has its marker once; charts without data say why instead of drawing', () => {
    const withData = new Set(chartsWithData(report));
    for (const chart of CHARTS) {
      expect(count(html, new RegExp(`<figure class="chart" data-chart="${chart.id}"`))).toBe(1);
      const empty = html.includes(`data-chart="${chart.id}" data-empty="true"`);
      expect(empty).toBe(!withData.has(chart.id));
    }
    expect(count(html, /<div class="plot"/)).toBe(withData.size);
  });

  test('the inlined JSON parses back to the report', () => {
    expect(inlinedReport(html)).toEqual(report);
  });

  test('header: layers, seed, backend, images, passes, phases, options, spread', () => {
    expect(html).toContain(`<dt>Layers</dt><dd>${report.layers.length}<small>`);
    expect(html).toContain(`<dt>Seed</dt><dd>${report.seed}<small>`);
    expect(html).toContain(
      `<dt>Backend</dt><dd>${report.backend.name}<small>${report.backend.threads} thread`,
    );
    expect(html).toContain(`<dd>${report.images.init} / ${report.images.heldOut}<small>init / held-out`);
    expect(html).toContain(
      `<dd>${report.passes.forward} / ${report.passes.backward}<small>forward / backward`,
    );
    for (const phase of Object.keys(report.timingsMs)) expect(html).toContain(`></span>${phase}</div>`);
    expect(html).toContain(`<dt>method</dt><dd>${report.options.method}</dd>`);
    expect(html).toContain('<dt>layers.onlyZeroKernels</dt>');
    if (report.changeRateSpread) expect(html).toMatch(/<dt>Change-rate spread<\/dt><dd>[\d.]+× → [\d.]+×/);
  });

  test('layer and report warnings are shown and highlighted', () => {
    const warned = report.layers.filter((layer) => layer.warnings.length > 0);
    expect(count(html, /<tr data-layer="[^"]*" class="[^"]*has-warn/)).toBe(warned.length);
    for (const warning of [...report.warnings, ...warned.flatMap((layer) => layer.warnings)]) {
      expect(html).toContain(`<li>${escapeHtml(warning)}</li>`);
    }
    expect(html.includes('data-report-warnings')).toBe(report.warnings.length > 0);
  });

  test('self-contained: no network references, uPlot and the chart script inlined', () => {
    for (const pattern of NETWORK_REFS) expect(html).not.toMatch(pattern);
    const scripts = inlineScripts(html);
    expect(scripts).toHaveLength(2);
    expect(scripts[0]).toContain('var uPlot=');
    expect(scripts[1]).toContain("querySelectorAll('figure[data-chart]:not([data-empty])')");
    expect(html).not.toMatch(/sourceMappingURL/);
  });

  test('the CSP admits exactly the two inline scripts', () => {
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html)?.[1] ?? '';
    const hashes = inlineScripts(html).map(
      (body) => `&#39;sha256-${createHash('sha256').update(body).digest('base64')}&#39;`,
    );
    expect(csp).toContain(`script-src ${hashes.join(' ')};`);
    expect(csp).toContain('default-src &#39;none&#39;');
  });

  test('page size stays small: library + script + data', () => {
    const bytes = Buffer.byteLength(html);
    expect(bytes).toBeLessThan(160_000);
    expect(bytes).toBeGreaterThan(Buffer.byteLength(clientAssets().libraryJs));
  });
});

describe('hostile report data', () => {
  const report = hostileReport(loadFixture('mixed-dag'));
  const html = renderReportHtml(report, { title: HOSTILE.title });

  test('layer names, class, warnings, phase and title appear escaped, never raw', () => {
    expect(html).toContain(`<tr data-layer="${escapeHtml(HOSTILE.imgName)}"`);
    expect(html).toContain('data-layer="&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;"');
    expect(html).toContain('data-layer="&lt;/script&gt;&lt;script&gt;window.__xss=2&lt;/script&gt;"');
    expect(html).toContain('data-layer="&quot;&#39;&gt;&lt;svg onload=window.__xss=3&gt;"');
    expect(html).toContain(escapeHtml(HOSTILE.className));
    expect(html).toContain(`<li>${escapeHtml(HOSTILE.warning)}</li>`);
    expect(html).toContain(`<li>${escapeHtml(HOSTILE.reportWarning)}</li>`);
    expect(html).toContain('&lt;i&gt;phase&lt;/i&gt;');
    expect(html).toContain(`<title>${escapeHtml(HOSTILE.title)}</title>`);
    for (const raw of ['<img', '<svg', '<b>', '<i>', '<!--', 'window.__xss=1"'])
      expect(html).not.toContain(raw);
  });

  test('no early </script> or </style>: exactly the page’s own elements', () => {
    expect(count(html, /<script\b/i)).toBe(3);
    expect(count(html, /<\/script>/i)).toBe(3);
    expect(count(html, /<style\b/i)).toBe(1);
    expect(count(html, /<\/style>/i)).toBe(1);
    expect(count(html, /<tr data-layer=/)).toBe(report.layers.length);
  });

  test('the inlined JSON parses back, hostile strings intact', () => {
    const parsed = inlinedReport(html) as InitReport;
    expect(parsed).toEqual(report);
    expect(parsed.layers.map((layer) => layer.name).slice(0, 3)).toEqual([
      HOSTILE.imgName,
      HOSTILE.scriptName,
      HOSTILE.attrName,
    ]);
  });
});

describe('edge cases', () => {
  test('no layers, no held-out sample, no between-layer step: every chart says why it is empty', () => {
    const base = loadFixture('resnet-bn');
    const report: InitReport = {
      ...base,
      layers: [],
      warnings: [],
      timingsMs: {},
      images: { init: 8, heldOut: 0 },
    };
    const html = renderReportHtml(report);
    expect(count(html, /data-empty="true"/)).toBe(CHARTS.length);
    expect(count(html, /<tr data-layer=/)).toBe(0);
    expect(html).toContain('<title>ddinit initialization report</title>');
    expect(html).toContain('No timings.');
  });

  test('a layer without held-out statistics or change rate renders dashes', () => {
    const base = loadFixture('vgg-cifar');
    const layer = base.layers[6];
    if (!layer) throw new Error('fixture changed');
    const report: InitReport = { ...base, layers: [{ ...layer, stats: {}, changeRate: undefined }] };
    const html = renderReportHtml(report);
    expect(count(html, /<span class="none">–<\/span>/)).toBeGreaterThanOrEqual(7);
    expect(chartsWithData(report)).toEqual([]);
  });

  test('assets are read once per process', () => {
    expect(clientAssets()).toBe(clientAssets());
    expect(clientAssets().libraryJs).toMatch(
      /^\/\*! uPlot v[\d.]+ \| \(c\) Leon Sorokin \| MIT License \*\//,
    );
  });
});
