export * from './build-model.js';
export * from './errors.js';
export * from './file-store.js';
export { asFolder } from './keys.js';
export type * from './object-store.js';
export * from './read-model.js';
export * from './s3-access.js';
export * from './s3-client.js';
export { bucketNameInvalid, bucketNotFound, storageAccessDenied } from './s3-errors.js';
export * from './s3-presign.js';
export * from './s3-store.js';
export {
  type DecodedSafetensors,
  decodeSafetensors,
  encodeSafetensors,
  type NamedWeight,
} from './safetensors.js';
export * from './uri.js';
export * from './write-checkpoint.js';
