/**
 * The page in a real browser (Debian's /usr/bin/chromium through playwright-core): charts draw, nothing
 * errors, nothing is fetched, hostile names stay inert. Also writes docs/report.png.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { InitReport } from '@ddinit/contracts';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { CHARTS, chartsWithData } from './charts.js';
import { renderReportHtml } from './render.js';
import { describeInChromium, launchChromium } from './testing/chromium.js';
import { FIXTURES, HOSTILE, hostileReport, loadFixture } from './testing/fixtures.js';

const SCREENSHOT = fileURLToPath(new URL('../../../docs/report.png', import.meta.url));

interface Opened {
  page: Page;
  /** console.error messages and uncaught exceptions. */
  errors: string[];
  /** Requests that left the file: / data: world. */
  network: string[];
}

describeInChromium('report page in headless Chromium', () => {
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    browser = await launchChromium();
    dir = await mkdtemp(path.join(tmpdir(), 'ddinit-report-html-'));
  });

  afterAll(async () => {
    await browser?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function open(
    report: InitReport,
    file: string,
    options: BrowserContextOptions = {},
  ): Promise<Opened> {
    const target = path.join(dir, file);
    await writeFile(
      target,
      renderReportHtml(report, { title: `ddinit report · ${path.basename(file, '.html')}` }),
    );
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, ...options });
    const errors: string[] = [];
    const network: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('request', (request) => {
      if (!/^(?:file|data|about):/.test(request.url())) network.push(request.url());
    });
    await page.goto(pathToFileURL(target).href);
    await page.waitForSelector('html[data-charts-rendered]', { timeout: 15_000 });
    return { page, errors, network };
  }

  /** Charts actually drawn: a uPlot canvas inside a figure that rendered. */
  const drawn = (page: Page) => page.locator('figure[data-chart][data-rendered] canvas').count();

  test.each(FIXTURES)('%s: every chart with data draws, no errors, no requests', async (name) => {
    const report = loadFixture(name);
    const { page, errors, network } = await open(report, `${name}.html`);
    const expected = chartsWithData(report).length;
    expect(await page.getAttribute('html', 'data-charts-rendered')).toBe(String(expected));
    expect(await drawn(page)).toBe(expected);
    expect(await page.locator('figure[data-chart]').count()).toBe(CHARTS.length);
    expect(await page.locator('figure[data-error]').count()).toBe(0);
    expect(await page.locator('tr[data-layer]').count()).toBe(report.layers.length);

    // Hovering the middle of the first chart puts a layer name into its live legend.
    const plot = page.locator('figure[data-rendered] .u-over').first();
    const box = await plot.boundingBox();
    if (!box) throw new Error('no plot area');
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const legendLayer = await page
      .locator('figure[data-rendered] .u-legend .u-series .u-value')
      .first()
      .textContent();
    expect(report.layers.map((layer) => layer.name)).toContain(legendLayer);

    if (name === 'mixed-dag') {
      await mkdir(path.dirname(SCREENSHOT), { recursive: true });
      await page.mouse.move(0, 0);
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
    }
    expect(errors).toEqual([]);
    expect(network).toEqual([]);
    await page.close();
  });

  test('phone width, dark scheme: charts draw and nothing overflows sideways', async () => {
    const report = loadFixture('vgg-cifar');
    const { page, errors } = await open(report, 'phone.html', {
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      colorScheme: 'dark',
    });
    expect(await drawn(page)).toBe(chartsWithData(report).length);
    const { scrollWidth, innerWidth, plotWidth } = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: window.innerWidth,
      plotWidth: document.querySelector('figure[data-rendered] canvas')?.getBoundingClientRect().width ?? 0,
    }));
    expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
    expect(plotWidth).toBeGreaterThan(250);
    expect(plotWidth).toBeLessThanOrEqual(innerWidth);
    expect(errors).toEqual([]);
    await page.close();
  });

  test('charts follow a resize and a color-scheme switch', async () => {
    const report = loadFixture('mixed-dag');
    const expected = chartsWithData(report).length;
    const { page, errors } = await open(report, 'resize.html');
    const first = 'figure[data-rendered] canvas';
    const wide = await page
      .locator(first)
      .first()
      .evaluate((c) => c.clientWidth);
    await page.setViewportSize({ width: 600, height: 900 });
    await page.waitForFunction(
      ([selector, before]) => (document.querySelector(selector)?.clientWidth ?? before) < before,
      [first, wide] as const,
    );
    // Canvas colors are baked in: a scheme switch must replace every chart.
    await page.locator('figure[data-chart] canvas').evaluateAll((all) => {
      for (const c of all) c.setAttribute('data-old', '');
    });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForFunction(
      (n) => document.querySelectorAll('figure[data-rendered] canvas:not([data-old])').length === n,
      expected,
    );
    expect(await page.locator('canvas[data-old]').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  test('hostile layer names stay text: no script runs, attributes round-trip', async () => {
    const report = hostileReport(loadFixture('mixed-dag'));
    const { page, errors, network } = await open(report, 'hostile.html');
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    const names = await page
      .locator('tr[data-layer]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-layer')));
    expect(names).toEqual(report.layers.map((layer) => layer.name));
    expect(await page.title()).toBe('ddinit report · hostile');
    expect(await page.locator('tr[data-layer] td.name').first().textContent()).toBe(HOSTILE.imgName);
    expect(await drawn(page)).toBe(chartsWithData(report).length);
    expect(errors).toEqual([]);
    expect(network).toEqual([]);
    await page.close();
  });
});
