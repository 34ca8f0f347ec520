import { GetObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { defineError } from '@ddinit/contracts';
import type { S3Store } from './s3-store.js';

/** SigV4 refuses presigned URLs valid for longer than 7 days. */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

export const presignExpiryInvalid = defineError(
  'presign_expiry_invalid',
  (seconds: number) =>
    `a presigned URL must expire after 1 to ${MAX_PRESIGN_SECONDS} seconds, got ${seconds}`,
);

/**
 * A URL anyone can GET `key` of `store` with, until `expiresSeconds` from now (or until the store's
 * credentials expire, if they are temporary). It is signed with the store's own client, which
 * `createS3Client` made without checksum parameters that some services reject.
 */
export async function presignGet(store: S3Store, key: string, expiresSeconds: number): Promise<string> {
  if (!Number.isInteger(expiresSeconds) || expiresSeconds < 1 || expiresSeconds > MAX_PRESIGN_SECONDS)
    throw presignExpiryInvalid(expiresSeconds);
  return getSignedUrl(
    store.client,
    new GetObjectCommand({ Bucket: store.bucket, Key: store.objectKey(key) }),
    {
      expiresIn: expiresSeconds,
    },
  );
}
