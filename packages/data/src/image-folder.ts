import type { ObjectStore } from '@ddinit/storage';
import { forEachBounded } from './bounded.js';
import { decodeImage } from './decode-image.js';
import { dataEmpty, dataNotFound, dataUnsupported } from './errors.js';
import type { ImageGeometry } from './input-spec.js';
import { normalizeBytes, type Preprocessing } from './preprocessing.js';
import { drawSample, type SampleData, type SampleRequest } from './sampling.js';

const IMAGE_EXTENSION = /\.(jpe?g|png|webp)$/i;

/**
 * Whether a key below the folder is an image to sample. Hidden files and folders are skipped: macOS leaves
 * `._photo.jpg` resource forks beside copied images, and they are not images despite their name.
 */
export function isImageKey(relativeKey: string): boolean {
  return (
    IMAGE_EXTENSION.test(relativeKey) && !relativeKey.split('/').some((segment) => segment.startsWith('.'))
  );
}

export interface ImageFolderOptions {
  /** Most keys listed; the sample is drawn from the first ones in key order. */
  maxListedKeys: number;
  /** Most pixels of one image, and the setting that says so (for the error). */
  maxPixels: number;
  maxPixelsSetting: string;
  /** Images fetched and decoded at once. */
  concurrency: number;
  signal?: AbortSignal;
}

/** Lists the images under `prefix` (recursively), draws the sample and decodes it in draw order. */
export async function readImageFolderSample(
  store: ObjectStore,
  prefix: string,
  geometry: ImageGeometry,
  preprocessing: Preprocessing,
  request: SampleRequest,
  options: ImageFolderOptions,
): Promise<SampleData> {
  const { signal } = options;
  // Object stores match prefixes as strings: without the slash, `cats` would also list `cats-old/`.
  const folder = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
  const keys = await store.list(folder, { limit: options.maxListedKeys });
  signal?.throwIfAborted();
  if (keys.length === 0) {
    if (prefix !== '' && (await store.stat(prefix))) throw dataUnsupported(store.uri(prefix));
    throw dataNotFound(store.uri(prefix));
  }
  // Sort here rather than trust the store, so that the draw does not depend on a store's listing order.
  const images = keys.filter((key) => isImageKey(key.slice(folder.length))).sort();
  if (images.length === 0)
    throw dataEmpty(
      store.uri(prefix),
      `${keys.length} file${keys.length === 1 ? '' : 's'} but no .jpg, .jpeg, .png or .webp image`,
    );

  const draw = drawSample(images, request, store.uri(prefix));
  const size = geometry.height * geometry.width * geometry.channels;
  const init = new Float32Array(draw.init.length * size);
  const heldOut = new Float32Array(draw.heldOut.length * size);
  // Each image has its slot, so the batch order is the draw order whatever order the decodes finish in.
  const slots = [
    ...draw.init.map((key, index) => ({ key, out: init, offset: index * size })),
    ...draw.heldOut.map((key, index) => ({ key, out: heldOut, offset: index * size })),
  ];
  const swapRedBlue = preprocessing.channelOrder === 'bgr';
  await forEachBounded(
    slots,
    options.concurrency,
    async ({ key, out, offset }) => {
      const bytes = await store.get(key);
      signal?.throwIfAborted();
      const pixels = await decodeImage(bytes, geometry, {
        uri: store.uri(key),
        resize: preprocessing.resize,
        maxPixels: options.maxPixels,
        maxPixelsSetting: options.maxPixelsSetting,
      });
      normalizeBytes(pixels, out, offset, geometry.channels, preprocessing, swapRedBlue);
    },
    signal,
  );
  return { init, heldOut, items: draw };
}
