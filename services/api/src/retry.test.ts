/**
 * POST /v1/jobs/:id/retry through real HTTP on real Redis: a failed or cancelled job gets a new job
 * with its spec and `retryOf`; asking again answers that same job; other statuses are 409, other
 * tenants' jobs 404, and a spec the current policy refuses is 400. Jobs run on startFakeWorker, the
 * harness's TEST DOUBLE of services/worker, so they can fail or succeed on demand.
 */
import { UnrecoverableError } from 'bullmq';
import {
  type FakeWorker,
  fakeResult,
  KEYS,
  startFakeWorker,
  startTestApi,
  stopTestApi,
  type TestApi,
  validSpec,
  waitFor,
} from './testing/harness.js';

let api: TestApi;
let worker: FakeWorker | undefined;

beforeAll(async () => {
  api = await startTestApi('retry', { background: false });
});

afterAll(async () => {
  await worker?.close();
  await stopTestApi(api);
});

async function statusOf(id: string, status: string): Promise<void> {
  await waitFor(
    `${id} ${status}`,
    async () => (await api.request('GET', `/v1/jobs/${id}`)).body.status === status,
  );
}

test('a queued job is not retried (409); once cancelled it is, once, as a new job linked by retryOf', async () => {
  const created = await api.request('POST', '/v1/jobs', { body: validSpec({ labels: { run: 'r1' } }) });
  const id: string = created.body.id;
  const early = await api.request('POST', `/v1/jobs/${id}/retry`);
  expect([early.status, early.body.code]).toEqual([409, 'job_not_retriable']);
  expect(early.body.detail).toBe(`job ${id} is queued; only a failed or cancelled job can be retried`);

  expect((await api.request('POST', `/v1/jobs/${id}/cancel`)).body.status).toBe('cancelled');
  const retried = await api.request('POST', `/v1/jobs/${id}/retry`);
  expect(retried.status).toBe(202);
  const retryId: string = retried.body.id;
  expect(retryId).toMatch(/^j_[A-Za-z0-9_-]+$/);
  expect(retryId).not.toBe(id);
  expect(retried.headers.get('location')).toBe(`/v1/jobs/${retryId}`);
  expect(retried.body).toMatchObject({ status: 'queued', retryOf: id, spec: created.body.spec, attempts: 0 });
  expect((await api.queue.getJob(retryId))?.data.spec).toEqual(created.body.spec);
  expect((await api.request('GET', `/v1/jobs/${retryId}`)).body.retryOf).toBe(id);
  // The retried job itself is unchanged.
  expect((await api.request('GET', `/v1/jobs/${id}`)).body).toMatchObject({ status: 'cancelled' });
  expect((await api.request('GET', `/v1/jobs/${id}`)).body.retryOf).toBeUndefined();

  const again = await api.request('POST', `/v1/jobs/${id}/retry`);
  expect([again.status, again.body.id, again.headers.get('idempotent-replayed')]).toEqual([
    200,
    retryId,
    'true',
  ]);
  const concurrent = await Promise.all(
    Array.from({ length: 4 }, () => api.request('POST', `/v1/jobs/${id}/retry`)),
  );
  expect(new Set(concurrent.map((response) => response.body.id))).toEqual(new Set([retryId]));
  const list = await api.request('GET', '/v1/jobs?label=run:r1&limit=10');
  expect(list.body.items.map((item: { id: string }) => item.id)).toEqual([retryId, id]);
});

test("another tenant's job and an unknown job are 404", async () => {
  const created = await api.request('POST', '/v1/jobs', { body: validSpec() });
  await api.request('POST', `/v1/jobs/${created.body.id}/cancel`);
  const other = await api.request('POST', `/v1/jobs/${created.body.id}/retry`, { key: KEYS.beta });
  expect([other.status, other.body.code]).toEqual([404, 'job_not_found']);
  expect((await api.request('POST', '/v1/jobs/j_nope/retry')).status).toBe(404);
  expect((await api.request('POST', `/v1/jobs/${created.body.id}/retry`, { key: null })).status).toBe(401);
});

test('a failed job is retried; a succeeded one is not (409)', async () => {
  worker = startFakeWorker(api.prefix, async (job) => {
    if (job.data.spec.labels?.outcome === 'fail') throw new UnrecoverableError('model_invalid: no layers');
    return fakeResult(job.data.spec.output.uri);
  });
  const failing = await api.request('POST', '/v1/jobs', { body: validSpec({ labels: { outcome: 'fail' } }) });
  const passing = await api.request('POST', '/v1/jobs', { body: validSpec() });
  await statusOf(failing.body.id, 'failed');
  await statusOf(passing.body.id, 'succeeded');

  const retried = await api.request('POST', `/v1/jobs/${failing.body.id}/retry`);
  expect(retried.status).toBe(202);
  expect(retried.body.retryOf).toBe(failing.body.id);
  // The new job runs again (and fails again: same spec); it can be retried in turn.
  await statusOf(retried.body.id, 'failed');
  const second = await api.request('POST', `/v1/jobs/${retried.body.id}/retry`);
  expect([second.status, second.body.retryOf]).toEqual([202, retried.body.id]);

  const refused = await api.request('POST', `/v1/jobs/${passing.body.id}/retry`);
  expect([refused.status, refused.body.code]).toEqual([409, 'job_not_retriable']);
  await worker.close();
  worker = undefined;
});

test('a spec the current policy no longer allows is refused, naming its fields', async () => {
  const created = await api.request('POST', '/v1/jobs', { body: validSpec() });
  await api.request('POST', `/v1/jobs/${created.body.id}/cancel`);
  // A second API on the same Redis prefix whose policy dropped the model bucket.
  const stricter = await startTestApi('retry-policy', {
    queuePrefix: api.prefix,
    background: false,
    allowedBuckets: ['outputs'],
  });
  try {
    const refused = await stricter.request('POST', `/v1/jobs/${created.body.id}/retry`);
    expect([refused.status, refused.body.code]).toEqual([400, 'validation_failed']);
    expect(refused.body.errors.map((error: { path: string }) => error.path).sort()).toEqual([
      'spec.dataset.uri',
      'spec.model.uri',
    ]);
  } finally {
    await stricter.close();
    await stricter.queue.close();
    stricter.queueConnection.disconnect();
  }
});
