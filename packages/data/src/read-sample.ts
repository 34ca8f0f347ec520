import { type Limits, resolveLimits } from '@ddinit/contracts';
import type { ObjectStore } from '@ddinit/storage';
import * as tf from '@tensorflow/tfjs';
import {
  dataNotFound,
  dataShapeMismatch,
  inputShapeInvalid,
  sampleRequestInvalid,
  sampleTooLarge,
} from './errors.js';
import { readImageFolderSample } from './image-folder.js';
import { channelCount, checkInputSpec, type InputSpec, imageGeometry } from './input-spec.js';
import { readNpySample } from './npy-dataset.js';
import { type Preprocessing, resolvePreprocessing } from './preprocessing.js';
import { checkSampleRequest, type SampleData, type SampleRequest } from './sampling.js';

/** The drawn samples as float32 tensors of shape `[N, ...input.shape]`, and the items they came from. */
export interface Sample {
  init: tf.Tensor;
  /** `null` when no sample is left over for (or none was asked to be) held out. */
  heldOut: tf.Tensor | null;
  /** Keys of the images, or `key[row]` for rows of a .npy array, in tensor order. */
  items: { init: string[]; heldOut: string[] };
}

/** The operator's bounds that apply to the data (`Limits`; defaults: `DEFAULT_LIMITS`). */
export type DataLimits = Pick<Limits, 'maxListedKeys' | 'maxSampleImages' | 'maxPixelsPerImage'>;

export interface ReadSampleOptions extends Partial<DataLimits> {
  /** Aborts listing, fetching and decoding; the read rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Images fetched and decoded at once; each holds one encoded and one decoded image in memory. @defaultValue 4 */
  concurrency?: number;
}

/**
 * Reads a seeded sample of the dataset at `prefix` as the model's input: a folder of images (.jpg, .jpeg, .png,
 * .webp, searched recursively) for `[H, W, C]` inputs, or the key of a `.npy` array for any input.
 */
export async function readSample(
  store: ObjectStore,
  prefix: string,
  input: InputSpec,
  preprocessing: Partial<Preprocessing>,
  request: SampleRequest,
  options: ReadSampleOptions = {},
): Promise<Sample> {
  checkInputSpec(input);
  checkSampleRequest(request);
  const resolved = resolvePreprocessing(preprocessing, channelCount(input));
  const { signal, concurrency = 4, maxListedKeys, maxSampleImages, maxPixelsPerImage } = options;
  const limits = resolveLimits({ maxListedKeys, maxSampleImages, maxPixelsPerImage });
  for (const name of ['maxListedKeys', 'maxSampleImages', 'maxPixelsPerImage', 'concurrency'] as const) {
    const value = name === 'concurrency' ? concurrency : limits[name];
    if (!Number.isSafeInteger(value) || value < 1)
      throw sampleRequestInvalid(`${name} must be a positive integer, got ${value}`);
  }
  // Checked before listing: the sample's memory grows with the count, whatever the dataset holds.
  if (request.count + request.heldOut > limits.maxSampleImages)
    throw sampleTooLarge(
      `${request.count + request.heldOut} samples (sample ${request.count} + held-out ${request.heldOut})`,
      limits.maxSampleImages,
    );
  signal?.throwIfAborted();

  let data: SampleData;
  if (/\.npy$/i.test(prefix)) {
    if (!(await store.stat(prefix))) throw dataNotFound(store.uri(prefix));
    data = await readNpySample(store, prefix, input, resolved, request, signal);
  } else {
    const geometry = imageGeometry(input);
    if (!geometry)
      throw dataShapeMismatch(
        store.uri(prefix),
        `the model input [${input.shape.join(', ')}] is not an image [H, W, C] with C of 1, 3 or 4, so it cannot ` +
          `be read from an image folder; give a .npy array of shape [N, ${input.shape.join(', ')}]`,
      );
    const modelPixels = geometry.height * geometry.width;
    if (modelPixels > limits.maxPixelsPerImage)
      throw inputShapeInvalid(
        input.shape,
        `has ${modelPixels} pixels per image, over the limit of ${limits.maxPixelsPerImage} (maxPixelsPerImage)`,
      );
    // The job's own maxPixels may ask for less than the operator allows, never for more.
    const jobAsksLess = resolved.maxPixels < limits.maxPixelsPerImage;
    data = await readImageFolderSample(store, prefix, geometry, resolved, request, {
      maxListedKeys: limits.maxListedKeys,
      maxPixels: jobAsksLess ? resolved.maxPixels : limits.maxPixelsPerImage,
      maxPixelsSetting: jobAsksLess ? 'preprocessing.maxPixels' : 'maxPixelsPerImage',
      concurrency,
      signal,
    });
  }

  const { items } = data;
  const init = tf.tensor(data.init, [items.init.length, ...input.shape], 'float32');
  const heldOut =
    items.heldOut.length > 0
      ? tf.tensor(data.heldOut, [items.heldOut.length, ...input.shape], 'float32')
      : null;
  return { init, heldOut, items };
}
