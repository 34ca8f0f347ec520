/**
 * Per-tenant rate limits counted in Redis: the 429 problem with Retry-After, one count per tenant
 * shared by every replica, callers without a valid key counted by IP, probes exempt, windows that
 * reset, and a Redis outage answered 503 (never 500, never a hang).
 */
import { type RedisTestServer, startRedisServer } from '../../../packages/queue/src/testing/redis-server.js';
import { type RunningApi, startApi } from './server.js';
import {
  client,
  KEYS,
  startTestApi,
  stopTestApi,
  type TestApi,
  testConfig,
  uniquePrefix,
  validSpec,
  waitFor,
} from './testing/harness.js';

const LIMIT = { max: 5, windowSeconds: 60 };

describe('with a limit of 5 per minute', () => {
  let api: TestApi;
  let replica: RunningApi;

  beforeAll(async () => {
    api = await startTestApi('rate', { rateLimit: LIMIT, background: false });
    // A second API instance on the same prefix: the count lives in Redis, not in the process.
    replica = await startApi(testConfig(api.prefix, { rateLimit: LIMIT, background: false }));
  });
  afterAll(async () => {
    await replica?.close();
    await stopTestApi(api);
  });

  it('answers 429 problem+json with Retry-After past the limit, counting one tenant across replicas', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await api.request('GET', '/v1/jobs')).status);
    const other = client(replica.url);
    for (let i = 0; i < 2; i++) statuses.push((await other.request('GET', '/v1/jobs')).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);

    const over = await other.request('POST', '/v1/jobs', { body: validSpec() });
    expect(over.status).toBe(429);
    expect(over.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(over.body).toMatchObject({ status: 429, code: 'rate_limited', instance: '/v1/jobs' });
    expect(over.body.detail).toMatch(/^more than 5 requests in 60 s; retry in \d+ s$/);
    const retryAfter = Number(over.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(over.headers.get('x-ratelimit-limit')).toBe('5');
    expect(over.headers.get('x-ratelimit-remaining')).toBe('0');
    // Refused before the handler: no job was created.
    expect(await api.queue.count()).toBe(0);
  });

  it("keeps other tenants' counts apart and leaves probes and metrics unlimited", async () => {
    const beta = await api.request('GET', '/v1/jobs', { key: KEYS.beta });
    expect(beta.status).toBe(200);
    expect(beta.headers.get('x-ratelimit-remaining')).toBe('4');
    for (let i = 0; i < 10; i++) {
      expect((await api.request('GET', '/health/live', { key: null })).status).toBe(200);
    }
    expect((await api.request('GET', '/metrics', { key: null })).status).toBe(200);
  });

  it('counts requests without a valid key by client IP, so key guessing is limited too', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const key = i % 2 === 0 ? `sk_guess_${i}_0123456789abcdef` : null;
      statuses.push((await api.request('GET', '/v1/jobs', { key })).status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
  });
});

it('opens again when the window has passed, and a limit of 0 is off', async () => {
  const api = await startTestApi('rate-window', {
    rateLimit: { max: 2, windowSeconds: 1 },
    background: false,
  });
  const off = await startTestApi('rate-off', { rateLimit: { max: 0, windowSeconds: 1 }, background: false });
  try {
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await api.request('GET', '/v1/schedules')).status);
    expect(statuses).toEqual([200, 200, 429]);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await api.request('GET', '/v1/schedules')).status).toBe(200);

    for (let i = 0; i < 5; i++) {
      const response = await off.request('GET', '/v1/schedules');
      expect(response.status).toBe(200);
      expect(response.headers.get('x-ratelimit-limit')).toBeNull();
    }
  } finally {
    await stopTestApi(api);
    await stopTestApi(off);
  }
});

describe('when Redis goes away', () => {
  let redis: RedisTestServer;
  let api: RunningApi;

  beforeAll(async () => {
    redis = await startRedisServer({ appendfsync: 'no' });
    api = await startApi(
      testConfig(uniquePrefix('rate-outage'), { redisUrl: redis.url, rateLimit: LIMIT, background: false }),
    );
  });
  afterAll(async () => {
    // Back up first, so the API closes its connections cleanly instead of waiting out reconnects.
    if (redis && !redis.running) {
      await redis.start();
      const http = client(api.url);
      await waitFor(
        'Redis back',
        async () => (await http.request('GET', '/health/ready', { key: null })).status === 200,
      );
    }
    await api?.close();
    await redis?.close();
  });

  it('answers 503 with Retry-After at once, and 401 to callers without a key', async () => {
    const http = client(api.url);
    expect((await http.request('GET', '/v1/jobs')).status).toBe(200);
    await redis.kill();
    const started = Date.now();
    const down = await http.request('POST', '/v1/jobs', { body: validSpec() });
    expect([down.status, down.body.code]).toEqual([503, 'redis_unavailable']);
    expect(down.headers.get('retry-after')).toBe('5');
    const anonymous = await http.request('GET', '/v1/jobs', { key: null });
    expect([anonymous.status, anonymous.body.code]).toEqual([401, 'unauthorized']);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
