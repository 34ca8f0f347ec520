import { defineError } from '@ddinit/contracts';

export const unsupportedLayer = defineError(
  'unsupported_layer',
  (layer: string, className: string, why: string) =>
    `layer "${layer}" (${className}) is not supported: ${why}`,
);
export const modelInvalid = defineError('model_invalid', (why: string) => `invalid model: ${why}`);
export const sampleMismatch = defineError(
  'sample_shape_mismatch',
  (expected: string, actual: string) => `the data sample has shape ${actual}, the model expects ${expected}`,
);
export const aborted = defineError('aborted', () => 'the initialization was cancelled');
export const unsupportedModel = defineError(
  'unsupported_model',
  (why: string) => `the model is not supported: ${why}`,
);
export const optionsInvalid = defineError(
  'options_invalid',
  (problems: string) => `invalid options: ${problems}`,
);
