/**
 * The little the API needs from object storage: presigned download URLs and a reachability probe.
 * Kept behind an interface so the storage package's S3 store can replace this implementation without
 * touching the routes.
 */
import { GetObjectCommand, HeadBucketCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { S3Config } from './config.js';
import { s3Location } from './spec-policy.js';

export interface ObjectAccess {
  /** A GET URL for an `s3://bucket/key` URI, valid for `expiresInSeconds`. */
  presignGet(uri: string, expiresInSeconds: number): Promise<string>;
  /** Resolves when the store answers within `timeoutMs`; throws otherwise. */
  probe(timeoutMs: number): Promise<void>;
  close(): void;
}

export class S3ObjectAccess implements ObjectAccess {
  private readonly client: S3Client;

  /**
   * @param probeBucket - bucket the readiness probe heads; without one it lists buckets, which needs
   * the s3:ListAllMyBuckets permission.
   */
  constructor(
    config: S3Config,
    private readonly probeBucket?: string,
  ) {
    this.client = new S3Client({
      region: config.region,
      forcePathStyle: config.forcePathStyle,
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      ...(config.credentials ? { credentials: config.credentials } : {}),
      // The SDK's default checksums corrupt streamed bodies on some S3-compatible servers and bake an
      // empty-body CRC into presigned URLs; only send checksums an operation requires.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  async presignGet(uri: string, expiresInSeconds: number): Promise<string> {
    const location = s3Location(uri);
    if (!location || location.key === '') throw new Error(`not an s3 object URI: ${uri}`);
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: location.bucket, Key: location.key }), {
      expiresIn: expiresInSeconds,
    });
  }

  async probe(timeoutMs: number): Promise<void> {
    const abortSignal = AbortSignal.timeout(timeoutMs);
    if (this.probeBucket) {
      await this.client.send(new HeadBucketCommand({ Bucket: this.probeBucket }), { abortSignal });
    } else {
      await this.client.send(new ListBucketsCommand({ MaxBuckets: 1 }), { abortSignal });
    }
  }

  close(): void {
    this.client.destroy();
  }
}
