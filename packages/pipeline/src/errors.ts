import { defineError } from '@ddinit/contracts';

export const outputExists = defineError(
  'output_exists',
  (uri: string) => `${uri} already holds a checkpoint; choose another output or allow overwriting`,
);
export const inputShapeUnknown = defineError(
  'input_shape_unknown',
  (shape: string) => `the model input has shape ${shape} with unknown sizes; give the input size explicitly`,
);
export const weightsNotFinite = defineError(
  'weights_not_finite',
  (uri: string, layer: string, weight: string, value: number, index: number, count: number) =>
    `${uri}: weight ${JSON.stringify(weight)} of layer ${JSON.stringify(layer)} holds ${value} at index ${index} ` +
    `(${count} non-finite value${count === 1 ? '' : 's'} in it); with random: keep the initialization starts ` +
    'from the loaded weights and cannot normalize NaN or infinite ones',
);
