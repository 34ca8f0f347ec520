/**
 * The S3 part of the package on its own (`@ddinit/storage/s3`): services that only sign URLs or
 * probe S3, such as the API, import it without loading TensorFlow.js.
 */
export * from './s3-access.js';
export * from './s3-client.js';
export { bucketNameInvalid, bucketNotFound, storageAccessDenied } from './s3-errors.js';
export * from './s3-presign.js';
export * from './s3-store.js';
export * from './uri.js';
