import type { ObjectStore } from '@ddinit/storage';
import * as tf from '@tensorflow/tfjs';
import { dataNotFound, dataShapeMismatch, sampleRequestInvalid } from './errors.js';
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

export interface ReadSampleOptions {
  /** Aborts listing, fetching and decoding; the read rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Most keys listed under an image folder: the sample is drawn from the first ones in key order, so that a
   * huge bucket costs a bounded listing. @defaultValue 1_000_000
   */
  listLimit?: number;
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
  const { signal, listLimit = 1_000_000, concurrency = 4 } = options;
  if (!Number.isSafeInteger(listLimit) || listLimit < 1)
    throw sampleRequestInvalid(`listLimit must be a positive integer, got ${listLimit}`);
  if (!Number.isSafeInteger(concurrency) || concurrency < 1)
    throw sampleRequestInvalid(`concurrency must be a positive integer, got ${concurrency}`);
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
    data = await readImageFolderSample(store, prefix, geometry, resolved, request, {
      listLimit,
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
