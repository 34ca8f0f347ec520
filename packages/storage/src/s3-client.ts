import { S3Client } from '@aws-sdk/client-s3';

/**
 * How to reach an S3-compatible service. It comes from the deployment's configuration, never from job
 * data: a job names buckets and keys, the worker decides where and as whom to fetch them.
 */
export interface S3ClientSettings {
  /**
   * Endpoint of a non-AWS service (MinIO, SeaweedFS, s3rver), e.g. `http://minio:9000`.
   * @defaultValue AWS's endpoint for `region`
   */
  endpoint?: string;
  /**
   * Region signed into every request; S3-compatible services accept any value.
   * @defaultValue `'us-east-1'`
   */
  region?: string;
  /**
   * Address buckets as `endpoint/bucket/key` rather than `bucket.endpoint/key`. Most self-hosted
   * services need it, since virtual-host style needs wildcard DNS.
   * @defaultValue `false`
   */
  forcePathStyle?: boolean;
  /**
   * Static credentials.
   * @defaultValue the SDK's default chain (environment, shared files, instance or pod role)
   */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /**
   * Tries per request, the first included; the SDK retries throttling, 5xx and network errors.
   * @defaultValue `3`
   */
  maxAttempts?: number;
  /**
   * The SDK's retry mode: `standard` backs off exponentially with jitter; `adaptive` also limits the
   * client's own request rate after throttling, which suits a single tenant only.
   * @defaultValue `'standard'`
   */
  retryMode?: 'standard' | 'adaptive';
  /**
   * How long a connection may go without a byte either way before the request fails (and is retried,
   * or fetched again if its body stalled). Without it, a connection that silently stops would hold a
   * job until its time limit: the SDK sets no such timeout for S3.
   * @defaultValue 60_000
   */
  socketTimeoutMs?: number;
}

export const DEFAULT_S3_SOCKET_TIMEOUT_MS = 60_000;

export const DEFAULT_S3_REGION = 'us-east-1';

/**
 * An S3 client for `settings`. Checksums are computed and validated only where an operation requires
 * them: since SDK 3.729 the default adds a CRC32 to every upload, which non-AWS services reject or,
 * worse, store as part of the object (research §3.2), and puts a CRC of an empty body into presigned
 * URLs. Every client of this package is made here so none can miss the setting.
 */
export function createS3Client(settings: S3ClientSettings = {}): S3Client {
  return new S3Client({
    region: settings.region ?? DEFAULT_S3_REGION,
    forcePathStyle: settings.forcePathStyle ?? false,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: { socketTimeout: settings.socketTimeoutMs ?? DEFAULT_S3_SOCKET_TIMEOUT_MS },
    ...(settings.endpoint !== undefined && { endpoint: settings.endpoint }),
    ...(settings.credentials !== undefined && { credentials: settings.credentials }),
    ...(settings.maxAttempts !== undefined && { maxAttempts: settings.maxAttempts }),
    ...(settings.retryMode !== undefined && { retryMode: settings.retryMode }),
  });
}
