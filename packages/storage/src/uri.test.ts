import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { FileStore } from './file-store.js';
import { S3Store } from './s3-store.js';
import { type S3TestServer, startS3Server } from './testing/s3-server.js';
import { openStorage, parseStorageUri, type StorageConfig } from './uri.js';

describe('parseStorageUri', () => {
  it.each([
    ['s3://my-bucket/a/b/model.json', { scheme: 's3', bucket: 'my-bucket', key: 'a/b/model.json' }],
    ['s3://my.bucket.1/prefix/', { scheme: 's3', bucket: 'my.bucket.1', key: 'prefix/' }],
    ['s3://bucket', { scheme: 's3', bucket: 'bucket', key: '' }],
    ['file:///data/models/model.json', { scheme: 'file', path: '/data/models/model.json' }],
    ['file:///data/my%20images/', { scheme: 'file', path: '/data/my images/' }],
  ])('parses %s', (uri, expected) => {
    expect(parseStorageUri(uri)).toEqual(expected);
  });

  it.each([
    ['https://example.com/model.json', /expected s3:\/\/bucket\/key or file:\/\/\/path/],
    ['s3://Upper/key', /"Upper" is not a bucket name/],
    ['s3://ab/key', /"ab" is not a bucket name/],
    ['s3:///key', /"" is not a bucket name/],
    ['file://host/path', /./],
    ['/local/path', /expected/],
  ])('refuses %s as uri_invalid', (uri, message) => {
    expect(() => parseStorageUri(uri)).toThrow(
      expect.objectContaining({ code: 'uri_invalid', message: expect.stringMatching(message) }),
    );
  });
});

describe('openStorage', () => {
  let server: S3TestServer;
  let fileRoot: string;
  let config: StorageConfig;

  beforeAll(async () => {
    server = await startS3Server(['allowed-bucket', 'other-bucket']);
    fileRoot = await mkdtemp(path.join(tmpdir(), 'ddinit-uri-'));
    config = { s3: server.settings, allowedBuckets: ['allowed-bucket'], fileRoot };
  });
  afterAll(async () => {
    await server.close();
    await rm(fileRoot, { recursive: true, force: true });
  });

  it('opens an allowed bucket at its root, with the key of the URI', async () => {
    const { store, key } = openStorage('s3://allowed-bucket/jobs/1/model.json', config);
    expect(store).toBeInstanceOf(S3Store);
    expect(key).toBe('jobs/1/model.json');
    await store.put(key, new TextEncoder().encode('{}'));
    expect(store.uri(key)).toBe('s3://allowed-bucket/jobs/1/model.json');
    expect(await store.stat(key)).toEqual({ bytes: 2 });
  });

  it('shares one S3 client between the stores of one configuration', () => {
    const a = openStorage('s3://allowed-bucket/a', config).store as S3Store;
    const b = openStorage('s3://allowed-bucket/b', config).store as S3Store;
    expect(a.client).toBe(b.client);
  });

  it('refuses a bucket that is not allowed', () => {
    expect(() => openStorage('s3://other-bucket/k', config)).toThrow(
      expect.objectContaining({
        code: 'bucket_not_allowed',
        message: 'bucket "other-bucket" is not among the buckets this service may use',
      }),
    );
  });

  it('allows every bucket with *', () => {
    const { store } = openStorage('s3://other-bucket/k', { ...config, allowedBuckets: '*' });
    expect(store.uri('k')).toBe('s3://other-bucket/k');
  });

  it('opens a file inside the file root, keyed relative to it', async () => {
    await mkdir(path.join(fileRoot, 'models'), { recursive: true });
    await writeFile(path.join(fileRoot, 'models/model.json'), '{}');
    const uri = pathToFileURL(path.join(fileRoot, 'models/model.json')).href;
    const { store, key } = openStorage(uri, config);
    expect(store).toBeInstanceOf(FileStore);
    expect(key).toBe('models/model.json');
    expect(new TextDecoder().decode(await store.get(key))).toBe('{}');
    expect(openStorage(pathToFileURL(fileRoot).href, config).key).toBe('');
  });

  it('refuses file URIs when there is no file root', () => {
    const uri = pathToFileURL(path.join(fileRoot, 'models/model.json')).href;
    expect(() => openStorage(uri, { ...config, fileRoot: undefined })).toThrow(
      expect.objectContaining({ code: 'file_uri_not_allowed' }),
    );
  });

  it.each([
    () => 'file:///etc/passwd',
    () => `${pathToFileURL(fileRoot).href}/../outside.txt`,
    () => `${pathToFileURL(fileRoot).href}-sibling/x`,
  ])('refuses a file outside the root (%#)', (makeUri) => {
    const uri = makeUri();
    expect(() => openStorage(uri, config)).toThrow(
      expect.objectContaining({ code: 'file_uri_not_allowed', message: expect.stringContaining('outside') }),
    );
  });

  it('keeps a file whose name starts with two dots', () => {
    expect(openStorage(pathToFileURL(path.join(fileRoot, '..hidden')).href, config).key).toBe('..hidden');
  });
});
