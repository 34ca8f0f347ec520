import { KEYS, startTestApi, stopTestApi, type TestApi, validSpec } from './testing/harness.js';

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi('batches', { background: false });
});

afterAll(async () => {
  await stopTestApi(api);
});

describe('batches', () => {
  it('creates many jobs at once and aggregates their statuses', async () => {
    const jobs = [validSpec({ priority: 1 }), validSpec({ priority: 2 }), validSpec({ priority: 3 })];
    const created = await api.request('POST', '/v1/batches', { body: { jobs } });
    expect(created.status).toBe(202);
    const id = created.body.id;
    expect(created.headers.get('location')).toBe(`/v1/batches/${id}`);
    expect(created.body).toMatchObject({ total: 3, counts: { queued: 3, running: 0, cancelled: 0 } });
    const jobIds: string[] = created.body.jobIds;
    expect(jobIds).toHaveLength(3);
    for (const [i, jobId] of jobIds.entries()) {
      const view = await api.request('GET', `/v1/jobs/${jobId}`);
      expect(view.body).toMatchObject({ batchId: id, status: 'queued', spec: { priority: i + 1 } });
      expect((await api.queue.getJob(jobId))?.data.batchId).toBe(id);
    }

    await api.request('POST', `/v1/jobs/${jobIds[0]}/cancel`);
    const read = await api.request('GET', `/v1/batches/${id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual({
      id,
      createdAt: created.body.createdAt,
      total: 3,
      counts: { queued: 2, running: 0, succeeded: 0, failed: 0, cancelled: 1 },
      jobIds,
    });
    expect((await api.request('GET', `/v1/batches/${id}`, { key: KEYS.beta })).status).toBe(404);
  });

  it('refuses the whole batch when any spec is bad, naming each field', async () => {
    const before = await api.queue.getJobCountByTypes('waiting', 'prioritized');
    const jobs = [
      validSpec(),
      validSpec({ dataset: { uri: 's3://models/x/', sample: 1 } }),
      validSpec({ output: { uri: 's3://nope/x/' } }),
    ];
    const response = await api.request('POST', '/v1/batches', { body: { jobs } });
    expect(response.status).toBe(400);
    expect(response.body.errors.map((e: { path: string }) => e.path)).toEqual(['body.jobs.1.dataset.sample']);
    const policy = await api.request('POST', '/v1/batches', { body: { jobs: [validSpec(), jobs[2]] } });
    expect(policy.body.errors.map((e: { path: string }) => e.path)).toEqual(['body.jobs.1.output.uri']);
    expect(await api.queue.getJobCountByTypes('waiting', 'prioritized')).toBe(before);
    const empty = await api.request('POST', '/v1/batches', { body: { jobs: [] } });
    expect(empty.body.errors.map((e: { path: string }) => e.path)).toEqual(['body.jobs']);
  });

  it("lists the tenant's batches newest first, a page at a time", async () => {
    const mine: string[] = [];
    for (const size of [1, 2, 3]) {
      const jobs = Array.from({ length: size }, () => validSpec());
      mine.push((await api.request('POST', '/v1/batches', { body: { jobs } })).body.id);
    }
    const theirs = (
      await api.request('POST', '/v1/batches', { body: { jobs: [validSpec()] }, key: KEYS.beta })
    ).body.id;

    const listed: { id: string; createdAt: string; total: number }[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=2&cursor=${cursor}` : '?limit=2';
      const page = await api.request('GET', `/v1/batches${query}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      listed.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    const ids = listed.map((item) => item.id);
    expect(ids).toEqual(expect.arrayContaining(mine));
    expect(ids).not.toContain(theirs);
    expect(new Set(ids).size).toBe(ids.length);
    const times = listed.map((item) => item.createdAt);
    expect(times).toEqual([...times].sort().reverse());
    expect(mine.map((id) => listed.find((item) => item.id === id)?.total)).toEqual([1, 2, 3]);

    const other = await api.request('GET', '/v1/batches', { key: KEYS.beta });
    expect(other.body).toEqual({
      items: [{ id: theirs, createdAt: expect.any(String), total: 1 }],
      nextCursor: null,
    });
    const bad = await api.request('GET', '/v1/batches?limit=101&cursor=bm90LWEtY3Vyc29y');
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(['query.limit']);
    const badCursor = await api.request('GET', '/v1/batches?cursor=bm90LWEtY3Vyc29y');
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.errors.map((e: { path: string }) => e.path)).toEqual(['query.cursor']);
  });
});
