import { defineError } from '@ddinit/contracts';

/**
 * A storage failure that may pass on its own (the network, throttling, 5xx, a body cut short), after
 * the retries of the request itself are spent. Not a `DdinitError`, so the job is retried; its stable
 * `code` names the cause if the last retry fails too.
 */
export class TransientStorageError extends Error {
  override readonly name = 'TransientStorageError';
  constructor(
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** True for a `TransientStorageError`, also across module copies (as `isDdinitError` does). */
export function isTransientStorageError(error: unknown): error is TransientStorageError {
  return (
    error instanceof Error &&
    error.name === 'TransientStorageError' &&
    typeof (error as { code?: unknown }).code === 'string'
  );
}

export const storageUnavailable = (message: string, cause: unknown) =>
  new TransientStorageError('storage_unavailable', message, { cause });
export const storageWriteUnverified = (uri: string, problem: string) =>
  new TransientStorageError('storage_write_unverified', `${uri} does not read back as written: ${problem}`);

export const objectNotFound = defineError('object_not_found', (uri: string) => `no such file: ${uri}`);
export const pathOutsideRoot = defineError(
  'path_outside_root',
  (key: string, root: string) => `path ${JSON.stringify(key)} is outside the allowed root ${root}`,
);

export const modelNotFound = defineError('model_not_found', (uri: string) => `no model.json at ${uri}`);
export const modelInvalidJson = defineError(
  'model_invalid_json',
  (uri: string, problem: string) => `${uri} is not valid JSON: ${problem}`,
);
export const modelNotLayersModel = defineError(
  'model_not_layers_model',
  (uri: string, problem: string) => `${uri} is not a TensorFlow.js layers-model model.json: ${problem}`,
);
export const modelManifestInvalid = defineError(
  'model_manifest_invalid',
  (uri: string, problem: string) => `${uri} has an invalid weightsManifest: ${problem}`,
);
export const weightsPathInvalid = defineError(
  'weights_path_invalid',
  (uri: string, path: string, problem: string) =>
    `${uri} lists weight file ${JSON.stringify(path)}, which ${problem}`,
);
export const weightsNotFound = defineError(
  'weights_not_found',
  (uri: string, modelUri: string) => `weight file ${uri} listed in ${modelUri} does not exist`,
);
export const weightsSizeMismatch = defineError(
  'weights_size_mismatch',
  (uri: string, expected: number, actual: number) =>
    `the weight files of ${uri} hold ${actual} bytes but its weightsManifest describes ${expected} bytes ` +
    `(${actual < expected ? 'shards are truncated or missing data' : 'shards hold extra data'})`,
);
export const modelTooLarge = defineError(
  'model_too_large',
  (uri: string, what: string, amount: number, limit: number, option: string, unit = 'bytes') =>
    `${uri} is too large: ${what} ${amount} ${unit}, over the limit of ${limit} ${unit} (${option})`,
);
export const modelInvalid = defineError(
  'model_invalid',
  (source: string, problem: string) => `TensorFlow.js cannot build the model from ${source}: ${problem}`,
);
export const checkpointInvalid = defineError(
  'checkpoint_invalid',
  (prefix: string, problem: string) => `cannot write the checkpoint at ${prefix}: ${problem}`,
);
export const weightUnsupported = defineError(
  'weight_unsupported',
  (name: string, problem: string) => `weight ${JSON.stringify(name)} cannot be written: ${problem}`,
);
export const safetensorsInvalid = defineError(
  'safetensors_invalid',
  (source: string, problem: string) => `${source} is not a valid safetensors file: ${problem}`,
);
