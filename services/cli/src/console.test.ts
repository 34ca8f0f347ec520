/**
 * The web console in a real browser (Debian's /usr/bin/chromium through playwright-core) against
 * `ddinit serve` (API and worker in one process, real Redis, local files): sign in with a key, follow
 * a job submitted through the API to 100 %, read its report, cancel and retry another from the
 * console, submit the form with a bad field, and fit a phone screen. Writes docs/console-*.png.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { describeInChromium, launchChromium } from '../../../packages/report-html/src/testing/chromium.js';
import { deleteKeys } from '../../api/src/testing/harness.js';
import { copyImages, MODEL, REPO, type Serving, startServe, type TempDir, tempDir } from './testing/cli.js';

const KEY = 'console-test-key-0123456789';
const PREFIX = `ddinit-console-test-${process.pid}-${Date.now()}`;
const DOCS = path.join(REPO, 'docs');

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read ad hoc; assertions check them.
type Json = any;

describeInChromium('web console in headless Chromium', () => {
  let tmp: TempDir;
  let server: Serving;
  let url: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** console.error messages, uncaught exceptions and CSP violations of the page. */
  const errors: string[] = [];
  /** Requests that left the API's origin. */
  const foreign: string[] = [];

  async function api(method: string, route: string, body?: unknown): Promise<{ status: number; body: Json }> {
    const response = await fetch(`${url}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${KEY}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: await response.json() };
  }

  function spec(name: string, sample = 16) {
    return {
      model: { uri: `file://${tmp.root}/model/model.json` },
      dataset: { uri: `file://${tmp.root}/images`, sample, heldOut: 8 },
      init: { batchSize: 8 },
      output: { uri: `file://${tmp.root}/out/${name}` },
      labels: { run: name },
    };
  }

  /** The row of a job in the jobs list. */
  const row = (id: string) => page.locator(`tr[data-job="${id}"]`);

  beforeAll(async () => {
    tmp = await tempDir();
    await mkdir(path.join(tmp.root, 'model'));
    await copyFile(MODEL, path.join(tmp.root, 'model/model.json'));
    await copyImages(path.join(tmp.root, 'images'), 120);
    server = await startServe({
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      REDIS_URL: 'redis://127.0.0.1:6379',
      DDINIT_QUEUE_PREFIX: PREFIX,
      DDINIT_API_KEYS: `${KEY}:tenant-console`,
      DDINIT_FILE_ROOT: tmp.root,
      DDINIT_BACKEND: 'wasm',
      LOG_LEVEL: 'warn',
    });
    url = server.url;
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    page = await context.newPage();
    page.on('console', (message) => {
      // Refused API calls (401 for a wrong key, 400 for a bad form) are answers the console shows.
      if (message.type() === 'error' && !/status of 4\d\d/.test(message.text())) errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('request', (request) => {
      if (!request.url().startsWith(url) && !/^(data|blob|about):/.test(request.url()))
        foreign.push(request.url());
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await deleteKeys(PREFIX);
    await tmp?.cleanup();
  });

  test('serves the page with a strict policy, cached vendor files and no key needed', async () => {
    const response = await fetch(`${url}/`);
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'self' 'sha256-/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    const html = await response.text();
    const vendor = /"preact":"([^"]+)"/.exec(html)?.[1];
    expect(vendor).toMatch(/^\/console\/vendor\/preact-\d+\.\d+\.\d+\/preact\.module\.js$/);
    const preact = await fetch(`${url}${vendor}`);
    expect(preact.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const main = await fetch(`${url}/console/app/main.js`);
    expect([main.status, main.headers.get('cache-control')]).toEqual([200, 'no-cache']);
    expect((await fetch(`${url}/console/app/main.d.ts`)).status).toBe(404);
    expect((await fetch(`${url}/v1/jobs`)).status).toBe(401);
  });

  test('signs in with the key, lists a job submitted through the API and follows it to 100 %', async () => {
    await page.goto(url);
    await page.getByLabel('API key').fill('not-the-key-0123456789');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('the API key is not valid').waitFor();
    await page.getByLabel('API key').fill(KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();

    // What the console itself weighs on a first visit (page, modules, stylesheet, icon), API calls aside.
    const weight = await page.evaluate(() =>
      [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]
        .filter((entry) => !new URL(entry.name).pathname.startsWith('/v1/'))
        .reduce((sum, entry) => sum + (entry as PerformanceResourceTiming).encodedBodySize, 0),
    );
    expect(weight).toBeGreaterThan(60_000);
    expect(weight).toBeLessThan(150_000);

    const submitted = await api('POST', '/v1/jobs', spec('first'));
    expect(submitted.status).toBe(202);
    const id: string = submitted.body.id;
    // The key was entered once: a reload goes straight to the list.
    await page.reload();
    await row(id).waitFor({ timeout: 10_000 });
    const seen = new Set<string>();
    const fractions: number[] = [];
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const status = (await row(id).getAttribute('data-status')) ?? '';
      seen.add(status);
      fractions.push(Number(await row(id).getByRole('progressbar').getAttribute('data-fraction')));
      if (status === 'succeeded' || status === 'failed') break;
      await page.waitForTimeout(200);
    }
    expect([...seen].pop()).toBe('succeeded');
    expect(await row(id).getByText('100 %').count()).toBe(1);
    expect(fractions.at(-1)).toBe(1);
    // Progress only moves forward.
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));

    await row(id).getByRole('link', { name: id }).click();
    await page.getByRole('heading', { name: `Job ${id}` }).waitFor();
    expect(await page.getByRole('progressbar', { name: 'Job progress' }).getAttribute('data-fraction')).toBe(
      '1',
    );
    await page.getByRole('cell', { name: `file://${tmp.root}/out/first/model.json` }).waitFor();
    // The report page, framed from srcdoc: its charts draw under the console's policy.
    const report = page.frameLocator('iframe[title="Initialization report"]');
    await report.locator('html[data-charts-rendered]').waitFor({ timeout: 15_000 });
    expect(Number(await report.locator('html').getAttribute('data-charts-rendered'))).toBeGreaterThan(0);
    expect(await report.locator('tr[data-layer]').count()).toBeGreaterThan(3);
    // Sandboxed without same-origin: the report cannot read the key.
    expect(await page.locator('iframe.report').getAttribute('sandbox')).toBe('allow-scripts');
    await page.screenshot({ path: path.join(DOCS, 'console-job.png'), fullPage: true });
    expect(errors).toEqual([]);
  }, 100_000);

  test('cancels a job from the console, then retries it', async () => {
    // Held behind a longer job on the single worker, so it is queued or just starting when cancelled.
    const ahead = await api('POST', '/v1/jobs', spec('ahead', 96));
    const target = await api('POST', '/v1/jobs', spec('cancel-me', 96));
    expect([ahead.status, target.status]).toEqual([202, 202]);
    const id: string = target.body.id;
    await page.goto(`${url}/#/jobs/${id}`);
    await page.getByRole('heading', { name: `Job ${id}` }).waitFor();
    await page.getByRole('button', { name: 'Cancel job' }).click();
    await page.getByRole('button', { name: 'Yes, cancel it' }).click();
    await page.locator('.badge', { hasText: 'cancelled' }).waitFor({ timeout: 30_000 });
    expect((await api('GET', `/v1/jobs/${id}`)).body.status).toBe('cancelled');

    await page.getByRole('button', { name: 'Retry' }).click();
    await page.getByRole('link', { name: id }).waitFor();
    const retryId = /#\/jobs\/(j_[A-Za-z0-9_-]+)$/.exec(page.url())?.[1];
    expect(retryId).toBeDefined();
    expect(retryId).not.toBe(id);
    const retried = await api('GET', `/v1/jobs/${retryId}`);
    expect(retried.body).toMatchObject({ retryOf: id, spec: target.body.spec });
    await api('POST', `/v1/jobs/${retryId}/cancel`);
    await api('POST', `/v1/jobs/${ahead.body.id}/cancel`);

    await page.goto(`${url}/#/jobs`);
    await row(id).waitFor();
    expect(await row(id).getAttribute('data-status')).toBe('cancelled');
    await page.screenshot({ path: path.join(DOCS, 'console-jobs.png') });
    expect(errors).toEqual([]);
  }, 90_000);

  test('the submit form shows field errors from the API next to their fields, then submits', async () => {
    await page.goto(`${url}/#/submit`);
    const model = page.getByLabel('Model URI');
    await model.fill('https://example.com/model.json');
    await page.getByLabel('Dataset URI').fill(`file://${tmp.root}/images`);
    await page.getByLabel('Output URI').fill(`file://${tmp.root}/out/form`);
    await page.getByLabel('Sample images').fill('1');
    await page.getByRole('button', { name: 'Submit', exact: true }).click();
    await page.locator('#field-model-uri-error').waitFor();
    expect(await model.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#field-model-uri-error').textContent()).toMatch(
      /s3:\/\/bucket\/key or file:\/\/\/path/,
    );
    expect(await page.getByLabel('Sample images').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('Dataset URI').getAttribute('aria-invalid')).toBeNull();
    await page.screenshot({ path: path.join(DOCS, 'console-submit.png'), fullPage: true });

    await model.fill(`file://${tmp.root}/model/model.json`);
    await page.getByLabel('Sample images').fill('16');
    await page.getByLabel('Method').selectOption('lsuv');
    await page.getByRole('button', { name: 'Submit', exact: true }).click();
    await page.waitForURL(/#\/jobs\/j_/);
    const id = /#\/jobs\/(j_[A-Za-z0-9_-]+)$/.exec(page.url())?.[1];
    const created = await api('GET', `/v1/jobs/${id}`);
    expect(created.body.spec).toMatchObject({ dataset: { sample: 16 }, init: { method: 'lsuv' } });
    await api('POST', `/v1/jobs/${id}/cancel`);
    expect(errors).toEqual([]);
  }, 60_000);

  test('creates a schedule from the form (a bad cron is named at its field), lists it, deletes it', async () => {
    await page.goto(`${url}/#/schedules`);
    await page.getByText('No schedules yet.').waitFor();
    const form = page.getByRole('form', { name: 'Create a schedule' });
    await form.getByLabel('Name').fill('nightly re-init');
    await form.getByLabel('Cron pattern').fill('61 3 * * *');
    await form.getByLabel('Time zone').fill('Europe/Paris');
    await form.getByLabel('Model URI').fill(`file://${tmp.root}/model/model.json`);
    await form.getByLabel('Dataset URI').fill(`file://${tmp.root}/images`);
    await form.getByLabel('Output URI').fill(`file://${tmp.root}/out/nightly`);
    await form.getByRole('button', { name: 'Create schedule' }).click();
    await page.locator('#field-schedule-cron-error').waitFor();
    expect(await page.locator('#field-schedule-cron-error').textContent()).toMatch(
      /not a valid cron pattern/,
    );
    expect(await form.getByLabel('Model URI').getAttribute('aria-invalid')).toBeNull();

    await form.getByLabel('Cron pattern').fill('0 3 * * *');
    await form.getByRole('button', { name: 'Create schedule' }).click();
    const listed = page.locator('tr[data-schedule]');
    await listed.waitFor();
    expect(await listed.getByRole('cell', { name: '0 3 * * * (Europe/Paris)' }).count()).toBe(1);
    expect(await listed.getByRole('cell', { name: /^in \d+ (s|min|h)$/ }).count()).toBe(1);
    const schedules = await api('GET', '/v1/schedules');
    expect(schedules.body.items).toMatchObject([
      { name: 'nightly re-init', cron: '0 3 * * *', tz: 'Europe/Paris' },
    ]);
    await page.screenshot({ path: path.join(DOCS, 'console-schedules.png'), fullPage: true });

    await listed.getByRole('link', { name: 'nightly re-init' }).click();
    await page.getByRole('heading', { name: 'Schedule nightly re-init' }).waitFor();
    await page.getByText('No runs yet.').waitFor();
    await page.getByRole('button', { name: 'Delete schedule' }).click();
    await page.getByRole('button', { name: 'Yes, delete' }).click();
    await page.getByText('No schedules yet.').waitFor();
    expect((await api('GET', '/v1/schedules')).body.items).toEqual([]);
    expect(errors).toEqual([]);
  }, 60_000);

  test('creates a batch from a JSON list and shows its jobs per status', async () => {
    await page.goto(`${url}/#/batches`);
    const specs = [
      { ...spec('batch-missing'), model: { uri: `file://${tmp.root}/model/missing.json` } },
      spec('batch-1'),
      spec('batch-2'),
    ];
    await page.getByLabel('Job specs (JSON array, up to 500)').fill('[{"model": 1}]');
    await page.getByRole('button', { name: 'Create batch' }).click();
    await page.getByText('body.jobs.0.model', { exact: true }).waitFor();
    await page.getByLabel('Job specs (JSON array, up to 500)').fill(JSON.stringify(specs, null, 2));
    await page.getByRole('button', { name: 'Create batch' }).click();
    await page.waitForURL(/#\/batches\/b_/);
    const id = /#\/batches\/(b_[A-Za-z0-9_-]+)$/.exec(page.url())?.[1];
    await page.getByRole('heading', { name: '3 jobs' }).waitFor();
    // The first spec's model does not exist: that job fails, and the aggregate shows it.
    await page.getByRole('img', { name: /1 failed/ }).waitFor({ timeout: 30_000 });
    const batch = await api('GET', `/v1/batches/${id}`);
    expect(batch.body.total).toBe(3);
    expect(await page.locator('a[href^="#/jobs/j_"]').count()).toBe(3);
    await page.screenshot({ path: path.join(DOCS, 'console-batch.png'), fullPage: true });
    for (const jobId of batch.body.jobIds) await api('POST', `/v1/jobs/${jobId}/cancel`);
    // The tenant's batches, from the API.
    await page.getByRole('link', { name: 'Batches' }).click();
    await page.getByRole('link', { name: id }).waitFor();
    expect(await page.locator('li', { has: page.getByRole('link', { name: id }) }).textContent()).toMatch(
      /3 jobs, created/,
    );
    // A page holds 20: with 20 newer batches, this one is behind "More batches". Their jobs fail at once.
    const missing = { ...spec('page'), model: { uri: `file://${tmp.root}/model/missing.json` } };
    for (let i = 0; i < 20; i++)
      expect((await api('POST', '/v1/batches', { jobs: [missing] })).status).toBe(202);
    await page.reload();
    await page.getByRole('button', { name: 'More batches' }).click();
    await page.getByRole('link', { name: id }).waitFor();
    expect(await page.locator('a[href^="#/batches/b_"]').count()).toBeGreaterThanOrEqual(21);
    expect(errors).toEqual([]);
  }, 60_000);

  test('fits a phone screen without sideways scroll; signing out and a refused key bring the prompt back', async () => {
    const phone = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    const small = await phone.newPage();
    small.on('pageerror', (error) => errors.push(error.message));
    await small.goto(url);
    await small.getByLabel('API key').fill(KEY);
    await small.getByRole('button', { name: 'Sign in' }).click();
    await small.locator('tr[data-job]').first().waitFor();
    const { scrollWidth, innerWidth } = await small.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: window.innerWidth,
    }));
    expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
    await small.screenshot({ path: path.join(DOCS, 'console-phone.png') });
    for (const view of ['#/submit', '#/schedules', '#/batches']) {
      await small.goto(`${url}/${view}`);
      await small.locator('h1').waitFor();
      expect(await small.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
        innerWidth,
      );
    }
    // Sign out forgets the key; a key the API stops accepting brings the prompt back with a notice.
    await small.getByRole('button', { name: 'Sign out' }).click();
    await small.getByLabel('API key').waitFor();
    await small.reload();
    await small.getByLabel('API key').waitFor();
    await small.evaluate(() => localStorage.setItem('ddinit.console.apiKey', 'revoked-key-0123456789'));
    await small.goto(`${url}/#/jobs`);
    await small.reload();
    await small.getByText('The API refused the key; enter it again.').waitFor();
    expect(await small.evaluate(() => localStorage.getItem('ddinit.console.apiKey'))).toBeNull();
    await phone.close();
    expect(errors).toEqual([]);
    expect(foreign).toEqual([]);
  }, 60_000);
});
