import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { pathOutsideRoot } from './errors.js';
import { asFolder } from './keys.js';
import type { ObjectStore } from './object-store.js';
import { isHeadNotFound, s3Failure } from './s3-errors.js';

export interface S3StoreOptions {
  /** A client from `createS3Client`, which sets the checksum behaviour non-AWS services need. */
  client: S3Client;
  bucket: string;
  /**
   * Key prefix the store is rooted at: store key `a/b` is object `prefix/a/b`.
   * @defaultValue `''` (the bucket's root)
   */
  prefix?: string;
}

/** Objects per ListObjectsV2 page; S3 never returns more. */
const LIST_PAGE = 1000;
/** First pause before fetching a failed body again; it doubles with each further try. */
const BODY_RETRY_MS = 100;

/**
 * An `ObjectStore` over one S3 bucket, optionally below a key prefix. Objects are written whole with
 * PutObject: S3 makes a new object visible only once it is complete, so readers never see a part.
 */
export class S3Store implements ObjectStore {
  readonly client: S3Client;
  readonly bucket: string;
  /** `''` or a folder ending in `/`. */
  readonly prefix: string;

  constructor(options: S3StoreOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
    this.prefix = asFolder(options.prefix ?? '');
  }

  uri(key: string): string {
    return `s3://${this.bucket}/${this.objectKey(key)}`;
  }

  /** The full object key of a store key, as S3 and presigned URLs name it. */
  objectKey(key: string): string {
    // S3 keys are opaque strings, but `..` would let a key leave the prefix on services (and proxies)
    // that normalize URL paths, and would make the same object reachable under two names.
    if (key.startsWith('/') || key.split('/').some((part) => part === '..' || part === '.'))
      throw pathOutsideRoot(key, `s3://${this.bucket}/${this.prefix}`);
    return this.prefix + key;
  }

  /**
   * The object's bytes. The SDK retries a request until its response headers arrive; a body that then
   * fails or ends short of its Content-Length is fetched again here, as many times in all as the
   * client's `maxAttempts`, so a caller never gets a partial object.
   */
  async get(key: string): Promise<Uint8Array> {
    const Key = this.objectKey(key);
    const attempts = await this.client.config.maxAttempts();
    for (let attempt = 1; ; attempt++) {
      let response: GetObjectCommandOutput;
      try {
        response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key }));
      } catch (error) {
        // The SDK has retried what it could already.
        throw s3Failure(error, 'GetObject', this.uri(key), this.bucket);
      }
      try {
        // A GetObject response always has a body; an absent one means the service broke the protocol.
        if (!response.Body) throw new Error('the response has no body');
        const body = await readWhole(response.Body as Readable);
        if (response.ContentLength !== undefined && body.length !== response.ContentLength)
          throw new Error(`the body ended after ${body.length} of ${response.ContentLength} bytes`);
        return body;
      } catch (error) {
        if (attempt >= attempts) throw s3Failure(error, 'GetObject', this.uri(key), this.bucket);
        await sleep(BODY_RETRY_MS * 2 ** (attempt - 1));
      }
    }
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    const Key = this.objectKey(key);
    try {
      // The whole body with its length: a single request, no aws-chunked framing (research §3.2).
      await this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key, Body: data, ContentLength: data.length }),
      );
    } catch (error) {
      throw s3Failure(error, 'PutObject', this.uri(key), this.bucket);
    }
  }

  async delete(keys: readonly string[]): Promise<void> {
    // One DeleteObject per key: DeleteObjects needs a body checksum, which not every service accepts.
    for (const key of keys) {
      try {
        await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      } catch (error) {
        throw s3Failure(error, 'DeleteObject', this.uri(key), this.bucket);
      }
    }
  }

  async list(prefix: string, options: { limit?: number } = {}): Promise<string[]> {
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    // As on FileStore, a prefix names a folder: `a` lists `a/…`, not `a-b`.
    const Prefix = this.objectKey(asFolder(prefix));
    const keys: string[] = [];
    let ContinuationToken: string | undefined;
    do {
      const MaxKeys = Math.min(LIST_PAGE, limit - keys.length);
      if (MaxKeys <= 0) break;
      let page: ListObjectsV2CommandOutput;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix, MaxKeys, ContinuationToken }),
        );
      } catch (error) {
        throw s3Failure(error, 'ListObjectsV2', this.uri(asFolder(prefix)), this.bucket);
      }
      for (const { Key } of page.Contents ?? []) {
        // Zero-byte `folder/` markers, which consoles create, are not objects a reader wants.
        if (Key === undefined || Key.endsWith('/')) continue;
        if (keys.length < limit) keys.push(Key.slice(this.prefix.length));
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken !== undefined);
    // S3 lists in UTF-8 byte order already; sorting keeps the contract with services that do not.
    return keys.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  }

  async stat(key: string): Promise<{ bytes: number } | undefined> {
    const Key = this.objectKey(key);
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key }));
      return { bytes: head.ContentLength ?? 0 };
    } catch (error) {
      if (isHeadNotFound(error)) return undefined;
      throw s3Failure(error, 'HeadObject', this.uri(key), this.bucket);
    }
  }
}

/**
 * The bytes of a response body, failing when its connection closes before the end. Neither the SDK's
 * `transformToByteArray` nor an async iterator settles for a body whose connection was cut at the
 * wrong moment (Node's IncomingMessage can close without an 'error'); its 'close' event comes always.
 */
function readWhole(stream: Readable): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const cutOff = () => stream.errored ?? new Error('the connection closed before the body ended');
    if (stream.destroyed) return reject(cutOff());
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('end', () => resolve(new Uint8Array(Buffer.concat(chunks))));
    stream.once('error', reject);
    stream.once('close', () => {
      if (!stream.readableEnded) reject(cutOff());
    });
  });
}
