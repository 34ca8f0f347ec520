import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { S3Client } from '@aws-sdk/client-s3';
import { isDdinitError } from '@ddinit/contracts';
import { freePort } from '../../queue/src/testing/free-port.js';
import { buildModel } from './build-model.js';
import { readModel } from './read-model.js';
import { S3Access } from './s3-access.js';
import { createS3Client } from './s3-client.js';
import { presignGet } from './s3-presign.js';
import { S3Store } from './s3-store.js';
import { checkpointOf, convNet, outputOf, useCpuBackend } from './testing/models.js';
import { type S3TestServer, startS3Server } from './testing/s3-server.js';
import { writeCheckpoint } from './write-checkpoint.js';

const BUCKET = 'ddinit-store-test';
let server: S3TestServer;
let client: S3Client;
let run = 0;
/** A store under a fresh prefix, so tests do not see each other's objects. */
let store: S3Store;
const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

beforeAll(async () => {
  await useCpuBackend();
  server = await startS3Server([BUCKET]);
  client = createS3Client(server.settings);
});
afterAll(async () => {
  client.destroy();
  await server.close();
});
beforeEach(() => {
  run++;
  store = new S3Store({ client, bucket: BUCKET, prefix: `run${run}` });
});

describe('S3Store', () => {
  it('puts, gets and stats objects under its prefix', async () => {
    await store.put('a/b/c.bin', bytes('hello'));
    expect(text(await store.get('a/b/c.bin'))).toBe('hello');
    expect(await store.stat('a/b/c.bin')).toEqual({ bytes: 5 });
    expect(await store.stat('a/b')).toBeUndefined();
    expect(await store.stat('nope')).toBeUndefined();
    expect(store.uri('a/b/c.bin')).toBe(`s3://${BUCKET}/run${run}/a/b/c.bin`);
    const root = new S3Store({ client, bucket: BUCKET });
    expect(text(await root.get(`run${run}/a/b/c.bin`))).toBe('hello');
  });

  it('stores binary bodies byte for byte (no checksum framing in the object)', async () => {
    const data = new Uint8Array(300_000).map((_, i) => (i * 7919) % 256);
    await store.put('blob.bin', data);
    // Buffer.equals: jest's deep equality takes seconds over 300k elements.
    expect(Buffer.from(await store.get('blob.bin')).equals(data)).toBe(true);
    expect(await store.stat('blob.bin')).toEqual({ bytes: data.length });
  });

  it('replaces an object whole', async () => {
    await store.put('x', bytes('first version'));
    await store.put('x', bytes('second'));
    expect(text(await store.get('x'))).toBe('second');
  });

  it('throws object_not_found for a missing key, naming its uri', async () => {
    await expect(store.get('missing.json')).rejects.toMatchObject({
      code: 'object_not_found',
      message: `no such file: s3://${BUCKET}/run${run}/missing.json`,
    });
  });

  it('throws bucket_not_found for a missing bucket and stats nothing there', async () => {
    const nowhere = new S3Store({ client, bucket: 'no-such-bucket' });
    await expect(nowhere.get('k')).rejects.toMatchObject({
      code: 'bucket_not_found',
      message: 'no such bucket: s3://no-such-bucket',
    });
    await expect(nowhere.put('k', bytes('x'))).rejects.toMatchObject({ code: 'bucket_not_found' });
    await expect(nowhere.list('')).rejects.toMatchObject({ code: 'bucket_not_found' });
    expect(await nowhere.stat('k')).toBeUndefined();
  });

  it.each(['../other/key', 'a/../../b', '/absolute', './a'])('refuses the key %s', async (key) => {
    const refused = { code: 'path_outside_root' };
    await expect(store.get(key)).rejects.toMatchObject(refused);
    await expect(store.put(key, bytes('x'))).rejects.toMatchObject(refused);
    expect(() => store.uri(key)).toThrow(expect.objectContaining(refused));
  });

  it('lists keys under a folder recursively, in byte order, skipping folder markers', async () => {
    for (const key of ['b', 'a/z', 'a-b', 'a/b/c', 'a/b.txt', 'A', 'é', 'a/b/a'])
      await store.put(key, bytes(key));
    await store.put('a/empty/', new Uint8Array(0));
    expect(await store.list('')).toEqual(['A', 'a-b', 'a/b.txt', 'a/b/a', 'a/b/c', 'a/z', 'b', 'é']);
    expect(await store.list('a')).toEqual(['a/b.txt', 'a/b/a', 'a/b/c', 'a/z']);
    expect(await store.list('a/b/')).toEqual(['a/b/a', 'a/b/c']);
    expect(await store.list('missing')).toEqual([]);
    expect(await store.list('b')).toEqual([]);
  });

  it('pages through long listings and stops at the limit', async () => {
    const keys = Array.from({ length: 1005 }, (_, i) => `many/${String(i).padStart(4, '0')}`);
    // 1005 keys take two pages of ListObjectsV2.
    for (let i = 0; i < keys.length; i += 50)
      await Promise.all(keys.slice(i, i + 50).map((key) => store.put(key, bytes('x'))));
    expect(await store.list('many')).toEqual(keys);
    expect(await store.list('many', { limit: 1002 })).toEqual(keys.slice(0, 1002));
    expect(await store.list('many', { limit: 3 })).toEqual(keys.slice(0, 3));
    expect(await store.list('many', { limit: 0 })).toEqual([]);
  });

  it('reports an unreachable service as a retryable storage_unavailable error naming the operation', async () => {
    const closed = await freePort();
    const offline = new S3Store({
      client: createS3Client({ ...server.settings, endpoint: `http://127.0.0.1:${closed}`, maxAttempts: 1 }),
      bucket: BUCKET,
    });
    const error = await offline.get('k').catch((e: unknown) => e);
    // Retryable: not a DdinitError, which the worker would fail the job on at once.
    expect(isDdinitError(error)).toBe(false);
    expect(error).toMatchObject({ name: 'TransientStorageError', code: 'storage_unavailable' });
    expect((error as Error).message).toMatch(new RegExp(`^S3 GetObject s3://${BUCKET}/k failed`));
    offline.client.destroy();
  });

  it('reports a 5xx answer as a retryable storage_unavailable error', async () => {
    const failing = await serverAnswering(503);
    const store5xx = new S3Store({
      client: createS3Client({ ...server.settings, endpoint: failing.endpoint, maxAttempts: 1 }),
      bucket: BUCKET,
    });
    const error = (await store5xx.put('k', bytes('x')).catch((e: unknown) => e)) as Error & {
      code?: unknown;
    };
    expect(isDdinitError(error)).toBe(false);
    expect(error.code).toBe('storage_unavailable');
    expect(error.message).toMatch(/^S3 PutObject s3:\/\/ddinit-store-test\/k failed \(HTTP 503\)/);
    store5xx.client.destroy();
    await failing.close();
  });

  it('holds a checkpoint that readModel loads back', async () => {
    const model = convNet();
    await writeCheckpoint(store, 'ckpt', checkpointOf(model), {
      shardBytes: 200,
      shardFolder: 'attempts/j-1',
    });
    const loaded = await buildModel(await readModel(store, 'ckpt/model.json'));
    expect(outputOf(loaded)).toEqual(outputOf(model));
  });
});

describe('presignGet', () => {
  it('signs a URL that fetches the object without credentials', async () => {
    await store.put('shared/file.txt', bytes('presigned body'));
    const url = await presignGet(store, 'shared/file.txt', 60);
    expect(url).toContain(`/${BUCKET}/run${run}/shared/file.txt?`);
    expect(url).not.toMatch(/x-amz-checksum/i);
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('presigned body');
  });

  it.each([0, -1, 1.5, 7 * 24 * 3600 + 1])('refuses an expiry of %p seconds', async (seconds) => {
    await expect(presignGet(store, 'k', seconds)).rejects.toMatchObject({ code: 'presign_expiry_invalid' });
  });
});

describe('S3Access', () => {
  it('presigns s3:// object URIs, and refuses other URIs naming them', async () => {
    await store.put('access/file.txt', bytes('through a URI'));
    const access = new S3Access(server.settings);
    try {
      const url = await access.presignGet(store.uri('access/file.txt'), 60);
      expect(new URL(url).searchParams.get('X-Amz-Expires')).toBe('60');
      expect(await (await fetch(url)).text()).toBe('through a URI');
      for (const uri of ['file:///tmp/x', `s3://${BUCKET}`, `s3://${BUCKET}/folder/`, 'http://x/y'])
        await expect(access.presignGet(uri, 60)).rejects.toMatchObject({
          code: 'uri_invalid',
          message: expect.stringContaining(uri),
        });
    } finally {
      access.close();
    }
  });

  it('probes its bucket, or the service when it has none, and fails on a missing bucket or service', async () => {
    const withBucket = new S3Access(server.settings, { probeBucket: BUCKET });
    const anyBucket = new S3Access(server.settings);
    const missing = new S3Access(server.settings, { probeBucket: 'no-such-bucket' });
    const offline = new S3Access(
      { ...server.settings, endpoint: `http://127.0.0.1:${await freePort()}`, maxAttempts: 1 },
      { probeBucket: BUCKET },
    );
    try {
      await withBucket.probe(2_000);
      await anyBucket.probe(2_000);
      await expect(missing.probe(2_000)).rejects.toThrow();
      await expect(offline.probe(2_000)).rejects.toThrow();
    } finally {
      for (const access of [withBucket, anyBucket, missing, offline]) access.close();
    }
  });
});

/** An HTTP server that answers every request with `status`. */
async function serverAnswering(status: number): Promise<{ endpoint: string; close(): Promise<void> }> {
  const http: Server = createServer((request, response) => {
    request.resume();
    response
      .writeHead(status, { 'content-type': 'application/xml' })
      .end('<Error><Code>SlowDown</Code></Error>');
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: async () => {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}
