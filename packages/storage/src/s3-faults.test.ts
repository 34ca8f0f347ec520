/**
 * S3Store and writeCheckpoint against an S3 server behind a fault-injecting proxy: real sockets, real
 * SDK retries. Transient faults must be retried to byte-exact results; persistent ones must end in a
 * coded error with nothing partial left to read.
 */
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from './s3-client.js';
import { S3Store } from './s3-store.js';
import { checkpointOf, convNet, tempStore, useCpuBackend } from './testing/models.js';
import { type S3FaultProxy, startS3FaultProxy } from './testing/s3-fault-proxy.js';
import { type S3TestServer, startS3Server } from './testing/s3-server.js';
import { MODEL_JSON, SAFETENSORS_FILE, shardName, writeCheckpoint } from './write-checkpoint.js';

const BUCKET = 'ddinit-faults-test';
let server: S3TestServer;
let proxy: S3FaultProxy;
let clients: S3Client[];
/** Straight to the server: what was really stored. */
let direct: S3Store;
/** Through the proxy, with the SDK's default retries (3 attempts). */
let store: S3Store;
let run = 0;
const data = new Uint8Array(200_000).map((_, i) => (i * 7919) % 251);
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

beforeAll(async () => {
  await useCpuBackend();
  server = await startS3Server([BUCKET]);
  proxy = await startS3FaultProxy(server.settings);
  clients = [createS3Client(server.settings), createS3Client(proxy.settings)];
});
afterAll(async () => {
  for (const client of clients) client.destroy();
  await proxy.close();
  await server.close();
});
beforeEach(() => {
  run++;
  proxy.clear();
  direct = new S3Store({ client: clients[0]!, bucket: BUCKET, prefix: `run${run}` });
  store = new S3Store({ client: clients[1]!, bucket: BUCKET, prefix: `run${run}` });
});
/** Requests of this test's objects that reached the proxy. */
const seen = (method: string) =>
  proxy.requests.filter((r) => r.method === method && r.key.startsWith(`run${run}/`));

describe('S3Store behind faults', () => {
  it('retries 5xx answers and resets to the same bytes', async () => {
    proxy.add({ method: 'PUT', fault: { kind: 'reset', at: 'before' }, times: 1 });
    proxy.add({ method: 'PUT', fault: { kind: 'status', status: 503 }, times: 1 });
    await store.put('blob', data);
    proxy.add({ method: 'HEAD', fault: { kind: 'status', status: 500 }, times: 2 });
    expect(await store.stat('blob')).toEqual({ bytes: data.length });
    proxy.add({ method: 'GET', fault: { kind: 'status', status: 503 }, times: 1 });
    proxy.add({ method: 'GET', fault: { kind: 'reset', at: 'before' }, times: 1 });
    expect(Buffer.from(await store.get('blob')).equals(data)).toBe(true);
    expect(seen('PUT').map((r) => r.fault)).toEqual(['reset', 'status', undefined]);
    expect(seen('GET').map((r) => r.fault)).toEqual(['status', 'reset', undefined]);
    expect(Buffer.from(await direct.get('blob')).equals(data)).toBe(true);
  });

  it.each([
    ['cut short (Content-Length not reached)', { kind: 'truncate' } as const],
    ['reset mid-body', { kind: 'reset', at: 'body' } as const],
  ])('fetches again a body %s, never returning part of it', async (_, fault) => {
    await direct.put('blob', data);
    proxy.add({ method: 'GET', fault, times: 2 });
    expect(Buffer.from(await store.get('blob')).equals(data)).toBe(true);
    expect(seen('GET').map((r) => r.fault)).toEqual([fault.kind, fault.kind, undefined]);
  });

  it('gives up on a stalled body after socketTimeoutMs of silence and fetches it again', async () => {
    const client = createS3Client({ ...proxy.settings, socketTimeoutMs: 500 });
    const impatient = new S3Store({ client, bucket: BUCKET, prefix: `run${run}` });
    await direct.put('blob', data);
    proxy.add({ method: 'GET', fault: { kind: 'stall' }, times: 1 });
    const started = Date.now();
    expect(Buffer.from(await impatient.get('blob')).equals(data)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(seen('GET').map((r) => r.fault)).toEqual(['stall', undefined]);
    client.destroy();
  });

  it('reads a slow body whole', async () => {
    await direct.put('small', data.subarray(0, 20_000));
    proxy.add({ method: 'GET', fault: { kind: 'slow', bytesPerSecond: 50_000 } });
    const started = Date.now();
    expect(sha256(await store.get('small'))).toBe(sha256(data.subarray(0, 20_000)));
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('ends persistent body failures in storage_unavailable after maxAttempts tries', async () => {
    await direct.put('blob', data);
    proxy.add({ method: 'GET', fault: { kind: 'truncate' } });
    await expect(store.get('blob')).rejects.toMatchObject({
      name: 'TransientStorageError',
      code: 'storage_unavailable',
      message: expect.stringMatching(`^S3 GetObject s3://${BUCKET}/run${run}/blob failed: `),
    });
    expect(seen('GET')).toHaveLength(3);
  });

  it('ends persistent 5xx in storage_unavailable, after the configured S3 attempts', async () => {
    const client = createS3Client({ ...proxy.settings, maxAttempts: 2 });
    const twice = new S3Store({ client, bucket: BUCKET, prefix: `run${run}` });
    proxy.add({ method: 'PUT', fault: { kind: 'status', status: 503 } });
    await expect(twice.put('blob', data)).rejects.toMatchObject({
      code: 'storage_unavailable',
      message: `S3 PutObject s3://${BUCKET}/run${run}/blob failed (HTTP 503): ServiceUnavailable: Please reduce your request rate.`,
    });
    expect(seen('PUT')).toHaveLength(2);
    expect(await direct.stat('blob')).toBeUndefined();
    client.destroy();
  });

  it('deletes objects, skipping missing ones', async () => {
    await direct.put('a/1', data.subarray(0, 10));
    await direct.put('a/2', data.subarray(0, 10));
    await store.delete(['a/1', 'a/missing']);
    expect(await direct.list('')).toEqual(['a/2']);
  });
});

describe('writeCheckpoint behind faults', () => {
  const shard = `attempts/j-1/${shardName(0, 1)}`;
  const safetensors = `attempts/j-1/${SAFETENSORS_FILE}`;

  it('rewrites a file whose upload was corrupted in flight, then commits what reads back right', async () => {
    proxy.add({
      method: 'PUT',
      key: /group1-shard1of1\.bin$/,
      fault: { kind: 'corrupt', body: 'request' },
      times: 1,
    });
    const { files } = await writeCheckpoint(store, 'out', checkpointOf(convNet()), {
      shardFolder: 'attempts/j-1/',
    });
    // Written twice, read back twice: the first read showed the flipped byte.
    expect(
      seen('PUT')
        .filter((r) => r.key.endsWith(shard))
        .map((r) => r.fault),
    ).toEqual(['corrupt', undefined]);
    expect(seen('GET').filter((r) => r.key.endsWith(shard))).toHaveLength(2);
    for (const file of files) {
      const stored = await direct.get(file.key);
      expect({ key: file.key, bytes: stored.length, sha256: sha256(stored) }).toEqual({
        key: file.key,
        bytes: file.bytes,
        sha256: file.sha256,
      });
    }
  });

  it('fails with storage_write_unverified on persistent corruption, committing nothing', async () => {
    proxy.add({ method: 'PUT', key: /weights\.safetensors$/, fault: { kind: 'corrupt', body: 'request' } });
    await expect(
      writeCheckpoint(store, 'out', checkpointOf(convNet()), { shardFolder: 'attempts/j-1/' }),
    ).rejects.toMatchObject({
      code: 'storage_write_unverified',
      message: expect.stringMatching(
        `^s3://${BUCKET}/run${run}/out/${safetensors} does not read back as written: \\d+ bytes with SHA-256 [0-9a-f]{64} read back, not the \\d+ bytes`,
      ),
    });
    expect(seen('PUT').filter((r) => r.key.endsWith(safetensors))).toHaveLength(3);
    // The shard before it stays (a retry cleans its attempt folder); the altered file and model.json do not.
    expect(await direct.list('out')).toEqual([`out/${shard}`]);
    expect(await direct.stat(`out/${MODEL_JSON}`)).toBeUndefined();
  });
});

describe('FileStore.delete', () => {
  it('deletes objects and the folders they leave empty, skipping missing ones', async () => {
    const temp = await tempStore();
    try {
      const files = temp.store;
      await files.put('out/attempts/j-1/a.bin', data.subarray(0, 10));
      await files.put('out/keep.json', data.subarray(0, 10));
      await files.delete(['out/attempts/j-1/a.bin', 'out/nope']);
      expect(await files.list('')).toEqual(['out/keep.json']);
      expect(await files.list('out/attempts')).toEqual([]);
      await expect(files.delete(['../escape'])).rejects.toMatchObject({ code: 'path_outside_root' });
    } finally {
      await temp.cleanup();
    }
  });
});
