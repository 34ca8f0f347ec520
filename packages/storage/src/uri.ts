/**
 * From a job's storage URI to an object store and a key in it, under the deployment's rules: which
 * buckets a job may name, and whether (and where) it may name local files.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { S3Client } from '@aws-sdk/client-s3';
import { defineError } from '@ddinit/contracts';
import { FileStore } from './file-store.js';
import type { ObjectStore } from './object-store.js';
import { createS3Client, type S3ClientSettings } from './s3-client.js';
import { S3Store } from './s3-store.js';

export const uriInvalid = defineError(
  'uri_invalid',
  (uri: string, problem: string) => `${JSON.stringify(uri)} is not a storage URI: ${problem}`,
);
export const bucketNotAllowed = defineError(
  'bucket_not_allowed',
  (bucket: string) => `bucket ${JSON.stringify(bucket)} is not among the buckets this service may use`,
);
export const fileUriNotAllowed = defineError(
  'file_uri_not_allowed',
  (uri: string, problem: string) => `${uri} is not allowed: ${problem}`,
);

export type StorageLocation =
  | { scheme: 's3'; bucket: string; key: string }
  | { scheme: 'file'; path: string };

/** What a deployment lets jobs reach. */
export interface StorageConfig {
  /** How to reach S3; shared by every `s3://` URI. */
  s3: S3ClientSettings;
  /** Buckets jobs may name, or `'*'` for any bucket the credentials reach. */
  allowedBuckets: readonly string[] | '*';
  /**
   * Local folder that `file://` URIs must lie in.
   * @defaultValue none: `file://` URIs are refused
   */
  fileRoot?: string;
}

/** Bucket names as S3 allows them (3–63 of `a-z0-9.-`, starting and ending alphanumeric). */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Splits `s3://bucket/key` or `file:///path`; the key may be empty or a folder ending in `/`. */
export function parseStorageUri(uri: string): StorageLocation {
  if (uri.startsWith('s3://')) {
    const rest = uri.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash === -1 ? rest : rest.slice(0, slash);
    if (!BUCKET.test(bucket)) throw uriInvalid(uri, `${JSON.stringify(bucket)} is not a bucket name`);
    return { scheme: 's3', bucket, key: slash === -1 ? '' : rest.slice(slash + 1) };
  }
  if (uri.startsWith('file://')) {
    let file: string;
    try {
      file = fileURLToPath(uri);
    } catch (error) {
      throw uriInvalid(uri, error instanceof Error ? error.message : String(error));
    }
    return { scheme: 'file', path: file };
  }
  throw uriInvalid(uri, 'expected s3://bucket/key or file:///path');
}

/**
 * The store a URI lives in and its key there. S3 stores are rooted at the bucket and file stores at
 * `fileRoot`, so keys resolved relative to the key (a model's shards) stay checkable against the same
 * root. Clients are made once per `config.s3` object and shared by its stores.
 */
export function openStorage(uri: string, config: StorageConfig): { store: ObjectStore; key: string } {
  const location = parseStorageUri(uri);
  if (location.scheme === 's3') {
    const { bucket, key } = location;
    if (config.allowedBuckets !== '*' && !config.allowedBuckets.includes(bucket))
      throw bucketNotAllowed(bucket);
    return { store: new S3Store({ client: clientFor(config.s3), bucket }), key };
  }
  if (config.fileRoot === undefined) throw fileUriNotAllowed(uri, 'this service does not read local files');
  const root = path.resolve(config.fileRoot);
  const relative = path.relative(root, location.path);
  if (relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative))
    throw fileUriNotAllowed(uri, `it is outside ${root}`);
  // Symlinks that lead out of the root are FileStore's to refuse, when the key is used.
  return { store: new FileStore(root), key: relative.split(path.sep).join('/') };
}

/** Each S3Client keeps its own connection pool; one per configuration lets stores share it. */
const clients = new WeakMap<S3ClientSettings, S3Client>();

function clientFor(settings: S3ClientSettings): S3Client {
  let client = clients.get(settings);
  if (client === undefined) {
    client = createS3Client(settings);
    clients.set(settings, client);
  }
  return client;
}
