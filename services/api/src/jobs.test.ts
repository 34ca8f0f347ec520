import { DEFAULT_JOB_OPTIONS } from '@ddinit/queue';
import { KEYS, startTestApi, stopTestApi, type TestApi, validSpec } from './testing/harness.js';

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi('jobs', { fileRoot: '/data/ddinit', background: false });
});

afterAll(async () => {
  await stopTestApi(api);
});

function paths(body: { errors?: { path: string }[] }): string[] {
  return (body.errors ?? []).map((error) => error.path).sort();
}

describe('authentication', () => {
  it('answers 401 problem+json without a key, with a challenge', async () => {
    const response = await api.request('GET', '/v1/jobs', { key: null });
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(response.body).toMatchObject({
      type: 'urn:ddinit:problem:unauthorized',
      status: 401,
      code: 'unauthorized',
      instance: '/v1/jobs',
    });
  });

  it('answers 401 for an unknown key, before looking at the body', async () => {
    const response = await api.request('POST', '/v1/jobs', {
      key: 'sk_test_nobody_0123456789',
      body: { bogus: 1 },
    });
    expect(response.status).toBe(401);
    expect(response.body.detail).toBe('the API key is not valid');
  });

  it('answers problem+json 404 for an unknown route', async () => {
    const response = await api.request('GET', '/v2/nothing');
    expect(response.status).toBe(404);
    expect(response.body.code).toBe('not_found');
  });
});

describe('POST /v1/jobs validation', () => {
  it('names every bad field: unknown fields, URI scheme, out-of-range numbers', async () => {
    const body = {
      ...validSpec(),
      model: { uri: 'https://example.com/model.json' },
      dataset: { uri: 's3://models/images/', sample: 1, heldOut: -1, extra: true },
      priority: 0,
      bogus: 'x',
    };
    const response = await api.request('POST', '/v1/jobs', { body });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.body.code).toBe('validation_failed');
    expect(paths(response.body)).toEqual([
      'body.bogus',
      'body.dataset.extra',
      'body.dataset.heldOut',
      'body.dataset.sample',
      'body.model.uri',
      'body.priority',
    ]);
    expect(response.body.detail).toContain('body.priority');
  });

  it('refuses buckets not allowed and file:// outside the root, naming each field', async () => {
    const body = validSpec({
      model: { uri: 's3://secret-bucket/model.json' },
      dataset: { uri: 'file:///data/ddinit/../../etc/passwd' },
      output: { uri: 's3://other-bucket/out/' },
    });
    const response = await api.request('POST', '/v1/jobs', { body });
    expect(response.status).toBe(400);
    expect(paths(response.body)).toEqual(['body.dataset.uri', 'body.model.uri', 'body.output.uri']);
    const messages = Object.fromEntries(
      response.body.errors.map((e: { path: string; message: string }) => [e.path, e.message]),
    );
    expect(messages['body.model.uri']).toBe('bucket "secret-bucket" is not allowed on this server');
    expect(messages['body.dataset.uri']).toBe('must be under the file root this server allows');
  });

  it('accepts file:// under the root', async () => {
    const body = validSpec({ dataset: { uri: 'file:///data/ddinit/images/' } });
    const response = await api.request('POST', '/v1/jobs', { body });
    expect(response.status).toBe(202);
  });

  it('answers 400 for malformed JSON', async () => {
    const response = await fetch(`${api.url}/v1/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEYS.alpha}`, 'content-type': 'application/json' },
      body: '{"model":',
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });
});

describe('creating and reading jobs', () => {
  it('answers 202 with the job view, a Location, and enqueues with the default options and priority', async () => {
    const response = await api.request('POST', '/v1/jobs', { body: validSpec({ priority: 7 }) });
    expect(response.status).toBe(202);
    const id: string = response.body.id;
    expect(id).toMatch(/^j_[A-Za-z0-9_-]+$/);
    expect(id).not.toMatch(/^\d+$/);
    expect(response.headers.get('location')).toBe(`/v1/jobs/${id}`);
    expect(response.body).toMatchObject({
      status: 'queued',
      progress: null,
      attempts: 0,
      startedAt: null,
      finishedAt: null,
      cancelRequestedAt: null,
    });
    expect(response.body.spec.dataset).toMatchObject({ sample: 16, heldOut: 0 });
    const job = await api.queue.getJob(id);
    expect(job?.opts.priority).toBe(7);
    expect(job?.opts.attempts).toBe(DEFAULT_JOB_OPTIONS.attempts);
    expect(job?.opts.backoff).toEqual(DEFAULT_JOB_OPTIONS.backoff);
    expect(job?.data).toMatchObject({ tenant: 'alpha', spec: { priority: 7 } });

    const read = await api.request('GET', `/v1/jobs/${id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(response.body);
  });

  it("hides one tenant's job from another (404 on read, cancel, report, logs, download)", async () => {
    const created = await api.request('POST', '/v1/jobs', { body: validSpec() });
    const id = created.body.id;
    for (const [method, path] of [
      ['GET', `/v1/jobs/${id}`],
      ['POST', `/v1/jobs/${id}/cancel`],
      ['GET', `/v1/jobs/${id}/report`],
      ['GET', `/v1/jobs/${id}/report.html`],
      ['GET', `/v1/jobs/${id}/logs`],
      ['GET', `/v1/jobs/${id}/download`],
    ] as const) {
      const response = await api.request(method, path, { key: KEYS.beta });
      expect([path, response.status, response.body.code]).toEqual([path, 404, 'job_not_found']);
    }
    const list = await api.request('GET', '/v1/jobs?limit=100', { key: KEYS.beta });
    expect(list.body.items.map((item: { id: string }) => item.id)).not.toContain(id);
    expect((await api.request('GET', `/v1/jobs/${id}`)).status).toBe(200);
  });

  it('answers 404 for an unknown job and 409 for the report and download of a queued job', async () => {
    expect((await api.request('GET', '/v1/jobs/j_nope')).status).toBe(404);
    const created = await api.request('POST', '/v1/jobs', { body: validSpec() });
    // Ids that name the queue's own keys in Redis (lists, sets, streams, a job's log list).
    for (const id of ['events', 'prioritized', 'id', 'meta', 'wait', `${created.body.id}:logs`]) {
      for (const path of [`/v1/jobs/${id}`, `/v1/jobs/${id}/logs`, `/v1/jobs/${id}/cancel`]) {
        const response = await api.request(path.endsWith('cancel') ? 'POST' : 'GET', path);
        expect([path, response.status, response.body.code]).toEqual([path, 404, 'job_not_found']);
      }
    }
    const report = await api.request('GET', `/v1/jobs/${created.body.id}/report`);
    expect([report.status, report.body.code]).toEqual([409, 'job_not_succeeded']);
    const page = await api.request('GET', `/v1/jobs/${created.body.id}/report.html`);
    expect([page.status, page.body.code]).toEqual([409, 'job_not_succeeded']);
    const download = await api.request('GET', `/v1/jobs/${created.body.id}/download`);
    expect([download.status, download.body.code]).toEqual([409, 'job_not_succeeded']);
    const logs = await api.request('GET', `/v1/jobs/${created.body.id}/logs`);
    expect(logs.body).toEqual({ lines: [], count: 0 });
  });
});

describe('Idempotency-Key', () => {
  it('returns the same job for the same key and body, whatever the key order', async () => {
    const headers = { 'idempotency-key': 'order-42' };
    const first = await api.request('POST', '/v1/jobs', { body: validSpec(), headers });
    expect(first.status).toBe(202);
    const reordered = Object.fromEntries(Object.entries(validSpec()).reverse());
    const second = await api.request('POST', '/v1/jobs', { body: reordered, headers });
    expect(second.status).toBe(200);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.body.id).toBe(first.body.id);
    expect(second.headers.get('location')).toBe(`/v1/jobs/${first.body.id}`);
    expect(await api.queue.getJobCountByTypes('waiting', 'prioritized')).toBeGreaterThanOrEqual(1);
  });

  it('answers 422 for the same key with another body', async () => {
    const headers = { 'idempotency-key': 'order-43' };
    expect((await api.request('POST', '/v1/jobs', { body: validSpec(), headers })).status).toBe(202);
    const other = await api.request('POST', '/v1/jobs', { body: validSpec({ priority: 3 }), headers });
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('idempotency_key_reused');
  });

  it('keeps keys apart per tenant', async () => {
    const headers = { 'idempotency-key': 'shared-key' };
    const alpha = await api.request('POST', '/v1/jobs', { body: validSpec(), headers });
    const beta = await api.request('POST', '/v1/jobs', {
      body: validSpec({ priority: 9 }),
      headers,
      key: KEYS.beta,
    });
    expect([alpha.status, beta.status]).toEqual([202, 202]);
    expect(beta.body.id).not.toBe(alpha.body.id);
  });

  it('lets concurrent duplicates create one job', async () => {
    const headers = { 'idempotency-key': 'race-1' };
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => api.request('POST', '/v1/jobs', { body: validSpec(), headers })),
    );
    expect(new Set(responses.map((r) => r.body.id)).size).toBe(1);
    expect(responses.filter((r) => r.status === 202)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 200)).toHaveLength(7);
  });

  it('rejects a malformed key', async () => {
    const response = await api.request('POST', '/v1/jobs', {
      body: validSpec(),
      headers: { 'idempotency-key': 'x'.repeat(300) },
    });
    expect(response.status).toBe(400);
    expect(paths(response.body)).toEqual(['headers.idempotency-key']);
  });
});

describe('cancel', () => {
  it('cancels a queued job: removed from the queue, recorded cancelled; a second cancel is 409', async () => {
    const created = await api.request('POST', '/v1/jobs', { body: validSpec() });
    const id = created.body.id;
    expect(await api.queue.getJob(id)).toBeDefined();
    const cancelled = await api.request('POST', `/v1/jobs/${id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect(cancelled.body.finishedAt).not.toBeNull();
    expect(await api.queue.getJob(id)).toBeUndefined();
    expect((await api.request('GET', `/v1/jobs/${id}`)).body.status).toBe('cancelled');
    const again = await api.request('POST', `/v1/jobs/${id}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'job_final', detail: `job ${id} is already cancelled` });
  });
});

describe('GET /v1/jobs', () => {
  it("pages through the tenant's jobs newest first with a cursor, filtered by label and status", async () => {
    const tenantKey = KEYS.beta;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const labels = { team: i % 2 === 0 ? 'vision' : 'speech', run: String(i) };
      const response = await api.request('POST', '/v1/jobs', { body: validSpec({ labels }), key: tenantKey });
      ids.push(response.body.id);
    }
    const newestFirst = [...ids].reverse();
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `&cursor=${cursor}` : '';
      const page = await api.request('GET', `/v1/jobs?label=team:vision&limit=2${query}`, { key: tenantKey });
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((item: { id: string }) => item.id));
      cursor = page.body.nextCursor;
      pages += 1;
    } while (cursor);
    expect(seen).toEqual(newestFirst.filter((_, i) => (4 - i) % 2 === 0));
    expect(pages).toBe(2);

    await api.request('POST', `/v1/jobs/${ids[1]}/cancel`, { key: tenantKey });
    const cancelled = await api.request('GET', '/v1/jobs?status=cancelled', { key: tenantKey });
    expect(cancelled.body.items.map((item: { id: string }) => item.id)).toEqual([ids[1]]);
    const queued = await api.request('GET', '/v1/jobs?status=queued&label=team:speech', { key: tenantKey });
    expect(queued.body.items.map((item: { id: string }) => item.id)).toEqual([ids[3]]);
  });

  it('refuses bad query parameters, naming each', async () => {
    const response = await api.request('GET', '/v1/jobs?limit=0&status=done&label=nocolon&extra=1');
    expect(response.status).toBe(400);
    expect(paths(response.body)).toEqual(['query.extra', 'query.label', 'query.limit', 'query.status']);
    const badCursor = await api.request('GET', '/v1/jobs?cursor=bm90LWEtY3Vyc29y');
    expect(badCursor.status).toBe(400);
    expect(paths(badCursor.body)).toEqual(['query.cursor']);
  });
});
