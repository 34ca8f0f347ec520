import { inputShapeInvalid } from './errors.js';

/** The model input a dataset is read for. */
export interface InputSpec {
  /** The input's shape without the batch dimension: `[H, W, C]` for images (C of 1, 3 or 4), e.g. `[784]` otherwise. */
  shape: number[];
}

/** Height, width and channels of an image input. */
export interface ImageGeometry {
  height: number;
  width: number;
  channels: 1 | 3 | 4;
}

/** Refuses shapes that no dataset can match, before any file is read. */
export function checkInputSpec(input: InputSpec): void {
  const { shape } = input;
  if (!Array.isArray(shape) || shape.length === 0) throw inputShapeInvalid(shape ?? [], 'is empty');
  if (!shape.every((size) => Number.isSafeInteger(size) && size > 0))
    throw inputShapeInvalid(shape, 'must hold positive integers (leave out the batch dimension)');
}

/** The geometry of an `[H, W, C]` image input, or `undefined` when the input is not an image. */
export function imageGeometry(input: InputSpec): ImageGeometry | undefined {
  const [height, width, channels] = input.shape;
  if (input.shape.length !== 3 || height === undefined || width === undefined) return undefined;
  if (channels !== 1 && channels !== 3 && channels !== 4) return undefined;
  return { height, width, channels };
}

/** Size of the last axis: the channels of an image, the features of a flat input. Mean and std apply along it. */
export function channelCount(input: InputSpec): number {
  return input.shape[input.shape.length - 1] ?? 1;
}

/** Values in one sample. */
export function sampleSize(input: InputSpec): number {
  return input.shape.reduce((product, size) => product * size, 1);
}
