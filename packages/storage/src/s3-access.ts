import { HeadBucketCommand, ListBucketsCommand, type S3Client } from '@aws-sdk/client-s3';
import { createS3Client, type S3ClientSettings } from './s3-client.js';
import { presignGet } from './s3-presign.js';
import { S3Store } from './s3-store.js';
import { parseStorageUri, uriInvalid } from './uri.js';

export interface S3AccessOptions {
  /**
   * Bucket the readiness probe heads.
   * @defaultValue none: the probe lists buckets, which needs the s3:ListAllMyBuckets permission
   */
  probeBucket?: string;
}

/**
 * What a service that hands objects out, rather than reading them, needs of S3: GET URLs of
 * `s3://bucket/key` URIs for its clients, and a readiness probe. It owns one client and its connection
 * pool until `close`.
 */
export class S3Access {
  readonly client: S3Client;
  private readonly probeBucket: string | undefined;

  constructor(settings: S3ClientSettings, options: S3AccessOptions = {}) {
    this.client = createS3Client(settings);
    this.probeBucket = options.probeBucket;
  }

  /** A URL anyone can GET the object at `uri` with, for `expiresSeconds` (see `presignGet`). */
  async presignGet(uri: string, expiresSeconds: number): Promise<string> {
    const location = parseStorageUri(uri);
    if (location.scheme !== 's3' || location.key === '' || location.key.endsWith('/'))
      throw uriInvalid(uri, 'expected the s3://bucket/key of an object');
    return presignGet(
      new S3Store({ client: this.client, bucket: location.bucket }),
      location.key,
      expiresSeconds,
    );
  }

  /** Resolves when S3 answers within `timeoutMs`; rejects otherwise. */
  async probe(timeoutMs: number): Promise<void> {
    const abortSignal = AbortSignal.timeout(timeoutMs);
    if (this.probeBucket === undefined)
      await this.client.send(new ListBucketsCommand({ MaxBuckets: 1 }), { abortSignal });
    else await this.client.send(new HeadBucketCommand({ Bucket: this.probeBucket }), { abortSignal });
  }

  /** Closes the client's connections; the object is unusable afterwards. */
  close(): void {
    this.client.destroy();
  }
}
