import { defineError } from '@ddinit/contracts';

/** Nothing at all under the dataset location (through an object store a missing folder and an empty one look alike). */
export const dataNotFound = defineError(
  'data_not_found',
  (uri: string) =>
    `no data at ${uri}: the folder is missing or empty (expected a folder of .jpg/.jpeg/.png/.webp images or a .npy file)`,
);
export const dataUnsupported = defineError(
  'data_unsupported',
  (uri: string) =>
    `${uri} is a single file that is not a .npy array: point at a folder of images or a .npy file`,
);
export const dataEmpty = defineError(
  'data_empty',
  (uri: string, problem: string) => `no samples in ${uri}: ${problem}`,
);
export const dataShapeMismatch = defineError(
  'data_shape_mismatch',
  (uri: string, problem: string) => `${uri} does not fit the model input: ${problem}`,
);
export const imageCorrupt = defineError(
  'image_corrupt',
  (uri: string, problem: string) => `cannot decode image ${uri}: ${problem}`,
);
export const imageTooLarge = defineError(
  'image_too_large',
  (uri: string, size: string, maxPixels: number, option: string) =>
    `image ${uri} is ${size}, over the limit of ${maxPixels} pixels (${option}); it was not decoded`,
);
export const sampleTooLarge = defineError(
  'sample_too_large',
  (requested: string, limit: number) =>
    `the job asks for ${requested}, over the limit of ${limit} samples (maxSampleImages)`,
);
export const npyInvalid = defineError(
  'npy_invalid',
  (uri: string, problem: string) => `${uri} is not a usable .npy array: ${problem}`,
);
export const sampleTooSmall = defineError(
  'sample_too_small',
  (uri: string, available: number) =>
    `only ${available} sample${available === 1 ? '' : 's'} in ${uri}: the initialization needs at least 2`,
);
export const sampleRequestInvalid = defineError(
  'sample_request_invalid',
  (problem: string) => `invalid sample request: ${problem}`,
);
export const inputShapeInvalid = defineError(
  'input_shape_invalid',
  (shape: readonly number[], problem: string) => `model input shape ${JSON.stringify(shape)} ${problem}`,
);
export const preprocessingInvalid = defineError(
  'preprocessing_invalid',
  (problem: string) => `invalid preprocessing: ${problem}`,
);
