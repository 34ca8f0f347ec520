/**
 * How an S3 failure reaches the caller. What retrying cannot fix (a missing object or bucket, a refusal)
 * becomes a `DdinitError` with a stable code; what may pass (network errors, throttling, 5xx) becomes
 * a `TransientStorageError` coded `storage_unavailable`, which the worker retries; anything else stays
 * a plain `Error`, also retried.
 */
import { defineError } from '@ddinit/contracts';
import { objectNotFound, storageUnavailable } from './errors.js';

export const bucketNotFound = defineError(
  'bucket_not_found',
  (bucket: string) => `no such bucket: s3://${bucket}`,
);
export const storageAccessDenied = defineError(
  'storage_access_denied',
  (operation: string, uri: string) => `access denied: ${operation} ${uri}`,
);
export const bucketNameInvalid = defineError(
  'bucket_name_invalid',
  (bucket: string) => `${JSON.stringify(bucket)} is not a valid S3 bucket name`,
);

/** The parts of an SDK v3 service exception this module reads. */
interface SdkError {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/**
 * The error to throw for a failed S3 call. `operation` and `uri` name what was attempted, because the
 * SDK's own messages ("UnknownError", "The specified key does not exist.") do not.
 */
export function s3Failure(error: unknown, operation: string, uri: string, bucket: string): Error {
  const { name, message, $metadata } = (error ?? {}) as SdkError;
  const status = $metadata?.httpStatusCode;
  if (name === 'NoSuchKey') return objectNotFound(uri);
  if (name === 'NoSuchBucket') return bucketNotFound(bucket);
  if (name === 'InvalidBucketName') return bucketNameInvalid(bucket);
  if (name === 'AccessDenied' || name === 'Forbidden' || status === 403)
    return storageAccessDenied(operation, uri);
  const detail = [name, message].filter((part) => part && part !== 'Error').join(': ') || String(error);
  const text = `S3 ${operation} ${uri} failed${status ? ` (HTTP ${status})` : ''}: ${detail}`;
  if (isTransient(status)) return storageUnavailable(text, error);
  return new Error(text, { cause: error });
}

/**
 * No answer at all (a reset, a timeout, a body cut short), throttling (429, 503 SlowDown), a request
 * timeout (408) or a server error: the same request may well succeed later.
 */
function isTransient(status: number | undefined): boolean {
  return status === undefined || status === 408 || status === 429 || status >= 500;
}

/** True for a HEAD answered 404: HEAD has no body, so a missing key and a missing bucket look alike. */
export function isHeadNotFound(error: unknown): boolean {
  const { name, $metadata } = (error ?? {}) as SdkError;
  return name === 'NotFound' || $metadata?.httpStatusCode === 404;
}
