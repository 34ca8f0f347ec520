/**
 * Presigned downloads and the S3 readiness check against s3rver (the S3 protocol over loopback). Jobs
 * finish on startFakeWorker, a TEST DOUBLE of services/worker that returns a fake JobResult naming
 * objects this test put in the bucket.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createS3Client, S3Store } from '@ddinit/storage/s3';
import S3rver from 's3rver';
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

let s3: S3rver;
let directory: string;
let api: TestApi;
let worker: FakeWorker;
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'ddinit-api-s3-'));
  s3 = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: 'models' }, { name: 'outputs' }],
  });
  const { port } = await s3.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = createS3Client({ endpoint, forcePathStyle: true, credentials });
  const outputs = new S3Store({ client, bucket: 'outputs' });
  await outputs.put('run-9/model.json', new TextEncoder().encode('{"format":"layers-model"}'));
  await outputs.put('run-9/group1-shard1of1.bin', new Uint8Array([1, 2, 3, 4]));
  client.destroy();
  api = await startTestApi('download', {
    s3: { endpoint, region: 'us-east-1', forcePathStyle: true, credentials },
  });
  worker = startFakeWorker(api.prefix, async (job) =>
    fakeResult(job.data.spec.output.uri, [
      { key: 'model.json', bytes: 25 },
      { key: 'group1-shard1of1.bin', bytes: 4 },
    ]),
  );
});

afterAll(async () => {
  await worker?.close();
  await stopTestApi(api);
  // The readiness test already stopped it.
  await s3?.close().catch(() => undefined);
  await rm(directory, { recursive: true, force: true });
});

describe('GET /v1/jobs/:id/download', () => {
  it('returns short-lived presigned URLs that fetch the checkpoint files', async () => {
    const created = await api.request('POST', '/v1/jobs', {
      body: validSpec({ output: { uri: 's3://outputs/run-9/' } }),
    });
    const id = created.body.id;
    await waitFor(
      'success',
      async () => (await api.request('GET', `/v1/jobs/${id}`)).body.status === 'succeeded',
    );

    expect((await api.request('GET', `/v1/jobs/${id}/download`, { key: KEYS.beta })).status).toBe(404);
    const response = await api.request('GET', `/v1/jobs/${id}/download`);
    expect(response.status).toBe(200);
    const { expiresAt, files } = response.body as {
      expiresAt: string;
      files: { uri: string; url: string }[];
    };
    expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(590_000);
    expect(files.map((file) => file.uri)).toEqual([
      's3://outputs/run-9/model.json',
      's3://outputs/run-9/group1-shard1of1.bin',
    ]);
    for (const file of files) {
      const url = new URL(file.url);
      expect(url.searchParams.get('X-Amz-Expires')).toBe('600');
      // The WHEN_REQUIRED presigner adds no checksum parameters some S3 services reject.
      expect([...url.searchParams.keys()].filter((key) => key.toLowerCase().includes('checksum'))).toEqual(
        [],
      );
    }
    const manifest = await fetch(files[0]!.url);
    expect(await manifest.text()).toBe('{"format":"layers-model"}');
    const shard = await fetch(files[1]!.url);
    expect([...new Uint8Array(await shard.arrayBuffer())]).toEqual([1, 2, 3, 4]);
  });

  it('reports S3 in readiness, and 503 when it is gone', async () => {
    const ready = await api.request('GET', '/health/ready', { key: null });
    expect(ready.body).toEqual({ status: 'ready', checks: { redis: 'ok', s3: 'ok' } });
    await s3.close();
    const down = await api.request('GET', '/health/ready', { key: null });
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ code: 'not_ready', checks: { redis: 'ok', s3: 'failed' } });
  });
});
