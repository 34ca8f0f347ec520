/**
 * Tenant isolation, one check per resource: another tenant's job, schedule or batch is "not found"
 * (never "forbidden", which would confirm it exists), lists never show it, and a refused cancel or
 * delete leaves it as it was. Jobs finish on startFakeWorker, a TEST DOUBLE of services/worker that
 * returns a schema-valid result, since this is about the API's ownership checks.
 */
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
let worker: FakeWorker;
/** alpha's resources. */
let succeededId: string;
let queuedId: string;
let scheduleId: string;
let batchId: string;

const asBeta = { key: KEYS.beta };

beforeAll(async () => {
  api = await startTestApi('tenants');
  worker = startFakeWorker(api.prefix, async (job) => {
    await job.log('loaded model');
    return fakeResult(job.data.spec.output.uri, [{ key: 'model.json', bytes: 10 }]);
  });
  succeededId = (await api.request('POST', '/v1/jobs', { body: validSpec() })).body.id;
  await waitFor(
    'the job to succeed',
    async () => (await api.request('GET', `/v1/jobs/${succeededId}`)).body.status === 'succeeded',
  );
  // The worker pauses so the next jobs stay queued for the cancel checks.
  await worker.worker.pause();
  queuedId = (await api.request('POST', '/v1/jobs', { body: validSpec({ labels: { team: 'a' } }) })).body.id;
  scheduleId = (
    await api.request('POST', '/v1/schedules', { body: { every: 3_600_000, templates: [validSpec()] } })
  ).body.id;
  batchId = (await api.request('POST', '/v1/batches', { body: { jobs: [validSpec()] } })).body.id;
});

afterAll(async () => {
  await worker?.close();
  await stopTestApi(api);
});

describe("another tenant gets 404 for alpha's", () => {
  it.each([
    ['job', 'GET', () => `/v1/jobs/${succeededId}`, 'job_not_found'],
    ['report', 'GET', () => `/v1/jobs/${succeededId}/report`, 'job_not_found'],
    ['report page', 'GET', () => `/v1/jobs/${succeededId}/report.html`, 'job_not_found'],
    ['logs', 'GET', () => `/v1/jobs/${succeededId}/logs`, 'job_not_found'],
    ['download URLs', 'GET', () => `/v1/jobs/${succeededId}/download`, 'job_not_found'],
    ['schedule', 'GET', () => `/v1/schedules/${scheduleId}`, 'schedule_not_found'],
    ['batch', 'GET', () => `/v1/batches/${batchId}`, 'batch_not_found'],
  ])('%s', async (_what, method, path, code) => {
    const own = await api.request(method, path());
    expect(own.status).toBe(200);
    const other = await api.request(method, path(), asBeta);
    expect([other.status, other.body.code]).toEqual([404, code]);
    expect(other.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(JSON.stringify(other.body)).not.toContain('loaded model');
  });
});

describe('another tenant cannot change', () => {
  it("alpha's queued job by cancelling it", async () => {
    const other = await api.request('POST', `/v1/jobs/${queuedId}/cancel`, asBeta);
    expect([other.status, other.body.code]).toEqual([404, 'job_not_found']);
    expect((await api.request('GET', `/v1/jobs/${queuedId}`)).body.status).toBe('queued');
  });

  it("alpha's job by retrying it", async () => {
    const other = await api.request('POST', `/v1/jobs/${succeededId}/retry`, asBeta);
    expect([other.status, other.body.code]).toEqual([404, 'job_not_found']);
  });

  it("alpha's schedule by deleting it", async () => {
    const other = await api.request('DELETE', `/v1/schedules/${scheduleId}`, asBeta);
    expect([other.status, other.body.code]).toEqual([404, 'schedule_not_found']);
    expect((await api.request('GET', `/v1/schedules/${scheduleId}`)).status).toBe(200);
  });
});

describe("lists never show another tenant's items", () => {
  it('jobs, in every status filter and by label', async () => {
    const own = await api.request('GET', '/v1/jobs?limit=100');
    expect(own.body.items.map((job: { id: string }) => job.id)).toEqual(
      expect.arrayContaining([succeededId, queuedId]),
    );
    const labelled = await api.request('GET', '/v1/jobs?label=team:a');
    expect(labelled.body.items.map((job: { id: string }) => job.id)).toEqual([queuedId]);
    for (const query of ['', '?status=succeeded', '?status=queued', '?limit=100', '?label=team:a']) {
      const other = await api.request('GET', `/v1/jobs${query}`, asBeta);
      expect([other.status, other.body.items]).toEqual([200, []]);
    }
  });

  it('schedules', async () => {
    const own = await api.request('GET', '/v1/schedules');
    expect(own.body.items.map((schedule: { id: string }) => schedule.id)).toEqual([scheduleId]);
    const other = await api.request('GET', '/v1/schedules', asBeta);
    expect([other.status, other.body.items]).toEqual([200, []]);
  });

  it("a cursor taken from alpha's list shows beta nothing of alpha's", async () => {
    const page = await api.request('GET', '/v1/jobs?limit=1');
    expect(page.body.nextCursor).toEqual(expect.any(String));
    const other = await api.request('GET', `/v1/jobs?cursor=${page.body.nextCursor}`, asBeta);
    expect(other.status === 400 || (other.status === 200 && other.body.items.length === 0)).toBe(true);
  });
});

describe('per-tenant buckets', () => {
  let limited: TestApi;
  beforeAll(async () => {
    limited = await startTestApi('tenant-buckets', {
      background: false,
      tenantBuckets: { beta: ['outputs'] },
    });
  });
  afterAll(() => stopTestApi(limited));

  it("refuses a bucket outside the tenant's own list, and leaves unlisted tenants on the server's", async () => {
    const beta = await limited.request('POST', '/v1/jobs', { ...asBeta, body: validSpec() });
    expect([beta.status, beta.body.code]).toEqual([400, 'validation_failed']);
    expect(beta.body.errors).toEqual([
      { path: 'body.model.uri', message: 'bucket "models" is not allowed on this server' },
      { path: 'body.dataset.uri', message: 'bucket "models" is not allowed on this server' },
    ]);
    const alpha = await limited.request('POST', '/v1/jobs', { body: validSpec() });
    expect(alpha.status).toBe(202);
  });
});
