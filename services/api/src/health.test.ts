import { readFile } from 'node:fs/promises';
import { freePort } from '../../../packages/queue/src/testing/free-port.js';
import {
  client,
  releaseHarness,
  startTestApi,
  stopTestApi,
  type TestApi,
  validSpec,
} from './testing/harness.js';

describe('with Redis up', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi('health', { background: false });
  });

  afterAll(async () => {
    await stopTestApi(api);
  });

  it('answers liveness and readiness without a key', async () => {
    const live = await api.request('GET', '/health/live', { key: null });
    expect([live.status, live.body]).toEqual([200, { status: 'ok' }]);
    const ready = await api.request('GET', '/health/ready', { key: null });
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', checks: { redis: 'ok', s3: 'not_configured' } });
  });

  it('exposes queue depth, HTTP durations and process metrics', async () => {
    await api.request('POST', '/v1/jobs', { body: validSpec() });
    await api.request('GET', '/v1/jobs');
    const metrics = await api.request('GET', '/metrics', { key: null });
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(metrics.body).toMatch(/^ddinit_queue_jobs\{state="prioritized"\} 1$/m);
    expect(metrics.body).toMatch(/^ddinit_queue_jobs\{state="active"\} 0$/m);
    expect(metrics.body).toMatch(/^ddinit_redis_up 1$/m);
    expect(metrics.body).toMatch(
      /^ddinit_http_request_duration_seconds_count\{method="POST",route="\/v1\/jobs",status_code="202"\} 1$/m,
    );
    expect(metrics.body).toMatch(/^process_cpu_user_seconds_total /m);
  });

  it('serves the committed OpenAPI document and Swagger UI', async () => {
    const served = await api.request('GET', '/openapi.json', { key: null });
    expect(served.status).toBe(200);
    const committed = JSON.parse(await readFile(new URL('../openapi.json', import.meta.url), 'utf8'));
    expect(served.body).toEqual(committed);
    const docs = await fetch(`${api.url}/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger-ui');
  });
});

describe('with Redis down', () => {
  // ioredis arms a 2 s socket-destroy timer when disconnecting a socket that never connected; let it
  // run out so the test process exits cleanly.
  afterAll(() => new Promise((resolve) => setTimeout(resolve, 2_100)));

  it('answers 503 with Retry-After on API routes and readiness, and still authenticates', async () => {
    const port = await freePort();
    const api = await startTestApi('redis-down', {
      redisUrl: `redis://127.0.0.1:${port}`,
      background: false,
    });
    try {
      const created = await api.request('POST', '/v1/jobs', { body: validSpec() });
      expect(created.status).toBe(503);
      expect(created.headers.get('retry-after')).toBe('5');
      expect(created.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(created.body).toMatchObject({ code: 'redis_unavailable', status: 503 });
      expect((await api.request('GET', '/v1/jobs/j_any')).status).toBe(503);
      expect((await api.request('GET', '/v1/jobs', { key: null })).status).toBe(401);
      const ready = await api.request('GET', '/health/ready', { key: null });
      expect(ready.status).toBe(503);
      expect(ready.headers.get('retry-after')).toBe('5');
      expect(ready.body).toMatchObject({
        code: 'not_ready',
        checks: { redis: 'failed', s3: 'not_configured' },
      });
      expect((await api.request('GET', '/health/live', { key: null })).status).toBe(200);
      const metrics = await client(api.url).request('GET', '/metrics', { key: null });
      expect(metrics.body).toMatch(/^ddinit_redis_up 0$/m);
    } finally {
      const started = Date.now();
      await api.close();
      expect(Date.now() - started).toBeLessThan(2_000);
      await releaseHarness(api);
    }
  });

  it('starts and closes promptly with background work on', async () => {
    const port = await freePort();
    const api = await startTestApi('redis-down-bg', { redisUrl: `redis://127.0.0.1:${port}` });
    try {
      expect((await api.request('POST', '/v1/jobs', { body: validSpec() })).status).toBe(503);
    } finally {
      const started = Date.now();
      await api.close();
      expect(Date.now() - started).toBeLessThan(2_000);
      await releaseHarness(api);
    }
  });
});
