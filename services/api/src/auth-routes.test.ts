/**
 * Every operation of the served OpenAPI document that is not marked public (`security: []`: probes
 * and metrics) refuses a request without a key, with a wrong key and with a malformed Authorization
 * header: 401 problem+json with a Bearer challenge, before any body or parameter is looked at.
 */
import { ApiKeyRing } from './auth.js';
import { hashApiKey } from './config.js';
import { KEYS, startTestApi, stopTestApi, type TestApi } from './testing/harness.js';

interface Operation {
  method: string;
  path: string;
  security?: unknown[];
}

let api: TestApi;
let operations: Operation[];

beforeAll(async () => {
  api = await startTestApi('auth-routes', { background: false });
  const document = (await api.request('GET', '/openapi.json', { key: null })).body as {
    paths: Record<string, Record<string, { security?: unknown[] }>>;
  };
  operations = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      method: method.toUpperCase(),
      path: path.replaceAll(/\{[^}]+\}/g, 'j_0123456789abcdef'),
      ...(operation.security ? { security: operation.security } : {}),
    })),
  );
});
afterAll(() => stopTestApi(api));

const CREDENTIALS: [string, Record<string, string>][] = [
  ['no Authorization header', {}],
  ['a wrong key', { authorization: 'Bearer sk_wrong_0123456789abcdef' }],
  [
    'a key of another scheme',
    { authorization: `Basic ${Buffer.from(`x:${KEYS.alpha}`).toString('base64')}` },
  ],
  ['a bearer key with a trailing suffix', { authorization: `Bearer ${KEYS.alpha}x` }],
  ['an empty bearer', { authorization: 'Bearer ' }],
];

it('leaves only the probes and metrics public', () => {
  const open = operations.filter((operation) => operation.security?.length === 0);
  expect(open.map((operation) => `${operation.method} ${operation.path}`).sort()).toEqual([
    'GET /health/live',
    'GET /health/ready',
    'GET /metrics',
  ]);
  expect(operations.length - open.length).toBeGreaterThanOrEqual(15);
});

describe.each(CREDENTIALS)('with %s', (_what, headers) => {
  it('answers 401 problem+json on every protected operation', async () => {
    const protectedOps = operations.filter((operation) => operation.security?.length !== 0);
    const answers = await Promise.all(
      protectedOps.map(async ({ method, path }) => {
        const withBody = method === 'POST';
        const response = await fetch(`${api.url}${path}`, {
          method,
          headers: { ...headers, ...(withBody ? { 'content-type': 'application/json' } : {}) },
          ...(withBody ? { body: '{"not":"checked"}' } : {}),
        });
        const body = await response.json();
        return {
          route: `${method} ${path}`,
          status: response.status,
          type: response.headers.get('content-type'),
          challenge: response.headers.get('www-authenticate')?.startsWith('Bearer realm="ddinit"'),
          code: body.code,
        };
      }),
    );
    for (const answer of answers) {
      expect(answer).toEqual({
        route: answer.route,
        status: 401,
        type: 'application/problem+json; charset=utf-8',
        challenge: true,
        code: 'unauthorized',
      });
    }
  });
});

it('accepts the right key on the same routes (nothing answers 401 to it)', async () => {
  const response = await api.request('GET', '/v1/jobs/j_0123456789abcdef', { key: KEYS.alpha });
  expect([response.status, response.body.code]).toEqual([404, 'job_not_found']);
});

describe('ApiKeyRing', () => {
  it('maps each key to its tenant, compares hashes of equal length whatever the key, and keeps no key', () => {
    const ring = new ApiKeyRing([
      { keyHash: hashApiKey(KEYS.alpha), tenant: 'alpha' },
      { keyHash: hashApiKey(KEYS.beta), tenant: 'beta' },
    ]);
    expect(ring.tenantOf(KEYS.alpha)).toBe('alpha');
    expect(ring.tenantOf(KEYS.beta)).toBe('beta');
    // Lengths differing from the stored keys' would make a naive timingSafeEqual throw.
    for (const key of ['', 'x', KEYS.alpha.slice(0, -1), `${KEYS.alpha}${'y'.repeat(5000)}`, 'é🙂']) {
      expect(ring.tenantOf(key)).toBeUndefined();
    }
    expect(JSON.stringify(ring)).not.toContain(KEYS.alpha);
  });
});
