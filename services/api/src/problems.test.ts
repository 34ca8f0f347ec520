import Fastify from 'fastify';
import { problem, RETRY_AFTER_SECONDS, registerProblemHandlers } from './problems.js';

describe('problem responses over HTTP', () => {
  const app = Fastify();
  registerProblemHandlers(app);
  app.get('/storage', async () => {
    throw problem('storage_unavailable', 'download URLs could not be signed; retry later');
  });
  app.get('/ready', async () => {
    throw problem('not_ready', 'unreachable: redis', { headers: { 'retry-after': '9' } });
  });
  app.get('/missing', async () => {
    throw problem('job_not_found', 'no job j_1');
  });
  let url: string;
  beforeAll(async () => {
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => app.close());

  it('tells clients when to retry on every 503, keeping a Retry-After the problem set itself', async () => {
    const storage = await fetch(`${url}/storage`);
    expect(storage.status).toBe(503);
    expect(storage.headers.get('retry-after')).toBe(String(RETRY_AFTER_SECONDS));
    expect(storage.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await storage.json()).toMatchObject({ code: 'storage_unavailable', status: 503 });

    const ready = await fetch(`${url}/ready`);
    expect([ready.status, ready.headers.get('retry-after')]).toEqual([503, '9']);

    const missing = await fetch(`${url}/missing`);
    expect([missing.status, missing.headers.get('retry-after')]).toEqual([404, null]);
  });
});
