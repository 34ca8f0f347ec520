/**
 * How an S3 failure reaches the caller. What retrying cannot fix (a missing object or bucket, a refusal)
 * becomes a `DdinitError` with a stable code; everything else (network errors, throttling, 5xx) stays
 * a plain `Error`, which the worker treats as transient and retries.
 */
import { defineError } from '@ddinit/contracts';
import { objectNotFound } from './errors.js';

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
  return new Error(`S3 ${operation} ${uri} failed${status ? ` (HTTP ${status})` : ''}: ${detail}`, {
    cause: error,
  });
}

/** True for a HEAD answered 404: HEAD has no body, so a missing key and a missing bucket look alike. */
export function isHeadNotFound(error: unknown): boolean {
  const { name, $metadata } = (error ?? {}) as SdkError;
  return name === 'NotFound' || $metadata?.httpStatusCode === 404;
}
