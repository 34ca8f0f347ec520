import { defineError } from '@ddinit/contracts';

export const outputExists = defineError(
  'output_exists',
  (uri: string) => `${uri} already holds a checkpoint; choose another output or allow overwriting`,
);
export const inputShapeUnknown = defineError(
  'input_shape_unknown',
  (shape: string) => `the model input has shape ${shape} with unknown sizes; give the input size explicitly`,
);
