export * from './build-model.js';
export * from './errors.js';
export * from './file-store.js';
export type * from './object-store.js';
export * from './read-model.js';
export {
  type DecodedSafetensors,
  decodeSafetensors,
  encodeSafetensors,
  type NamedWeight,
} from './safetensors.js';
export * from './write-checkpoint.js';
