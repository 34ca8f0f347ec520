/**
 * Hostile and broken datasets, each generated here: every one is refused with its stable code and a
 * message that names the file and what is wrong, before heavy work (decoding, huge allocations).
 * Then the data limits: each trips when lowered and lets the data through when raised, and listing
 * stops at maxListedKeys on a FileStore and on an S3 server.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client, type ObjectStore, S3Store } from '@ddinit/storage';
import * as tf from '@tensorflow/tfjs';
import { type S3TestServer, startS3Server } from '../../storage/src/testing/s3-server.js';
import {
  encodeImage,
  encodeNpy,
  float32Bytes,
  noise,
  pngWithHeader,
  solid,
  type TempStore,
  tempStore,
} from '../test/fixtures.js';
import { forEachBounded } from './bounded.js';
import { readSample } from './read-sample.js';

let temp: TempStore;
beforeEach(async () => {
  temp = await tempStore();
});
afterEach(() => temp.remove());

const RGB = { shape: [8, 8, 3] };
const request = (count: number, heldOut = 0, seed = 0) => ({ count, heldOut, seed });
const png = (colour: number) => encodeImage(solid(4, 4, [colour, colour, colour]), 4, 4, 3, 'png');

/** Two good images beside the hostile file, so that only the hostile file can be the problem. */
async function withGoodImages(folder: string): Promise<void> {
  await temp.write(`${folder}/good-1.png`, await png(10));
  await temp.write(`${folder}/good-2.png`, await png(20));
}

const rows = (count: number, size: number) =>
  float32Bytes(Array.from({ length: count * size }, (_, i) => i / 7));

/** Each case writes its dataset and names the prefix to read. */
const hostile: [string, () => Promise<string>, string, RegExp][] = [
  [
    'a tiny PNG declaring 100000 × 100000 pixels (a decompression bomb)',
    async () => {
      await withGoodImages('bomb');
      await temp.write('bomb/huge.png', pngWithHeader(100_000, 100_000));
      return 'bomb';
    },
    'image_too_large',
    /image file:\/\/.*\/bomb\/huge\.png is 100000×100000 = 10000000000 pixels, over the limit of 50000000 pixels \(maxPixelsPerImage\); it was not decoded/,
  ],
  [
    'a truncated JPEG',
    async () => {
      await withGoodImages('cut');
      const jpeg = await encodeImage(noise(64, 48, 3), 64, 48, 3, 'jpeg');
      await temp.write('cut/photo.jpg', jpeg.subarray(0, jpeg.length >> 1));
      return 'cut';
    },
    'image_corrupt',
    /cannot decode image file:\/\/.*\/cut\/photo\.jpg: /,
  ],
  [
    'a text file named like an image',
    async () => {
      await withGoodImages('fake');
      await temp.write('fake/cat.png', 'this is not a picture');
      return 'fake';
    },
    'image_corrupt',
    /cannot decode image file:\/\/.*\/fake\/cat\.png: .*unsupported image format/,
  ],
  [
    'an empty folder',
    async () => {
      await mkdir(path.join(temp.root, 'empty'));
      return 'empty';
    },
    'data_not_found',
    /no data at file:\/\/.*\/empty: the folder is missing or empty/,
  ],
  [
    'a folder without images',
    async () => {
      await temp.write('docs/notes.txt', 'hello');
      await temp.write('docs/table.csv', 'a,b');
      return 'docs';
    },
    'data_empty',
    /no samples in file:\/\/.*\/docs: 2 files but no \.jpg, \.jpeg, \.png or \.webp image/,
  ],
  [
    'a .npy of float64',
    async () => {
      await temp.write(
        'x.npy',
        encodeNpy({ descr: '<f8', shape: [2, 192], data: new Uint8Array(2 * 192 * 8) }),
      );
      return 'x.npy';
    },
    'npy_invalid',
    /x\.npy is not a usable \.npy array: dtype '<f8' is not supported/,
  ],
  [
    'a big-endian .npy',
    async () => {
      await temp.write('x.npy', encodeNpy({ descr: '>f4', shape: [2, 8, 8, 3], data: rows(2, 192) }));
      return 'x.npy';
    },
    'npy_invalid',
    /x\.npy is not a usable \.npy array: dtype '>f4' is big-endian/,
  ],
  [
    'a .npy of the wrong shape',
    async () => {
      await temp.write('x.npy', encodeNpy({ descr: '<f4', shape: [4, 48], data: rows(4, 48) }));
      return 'x.npy';
    },
    'data_shape_mismatch',
    /x\.npy does not fit the model input: the array has shape \[4, 48\] but the model expects \[N, 8, 8, 3\]/,
  ],
  [
    'a .npy shorter than its header says',
    async () => {
      await temp.write('x.npy', encodeNpy({ descr: '<f4', shape: [3, 8, 8, 3], data: rows(2, 192) }));
      return 'x.npy';
    },
    'npy_invalid',
    /x\.npy is not a usable \.npy array: truncated: the header's shape \(3, 8, 8, 3\) needs 2304 bytes of data, the file has 1536/,
  ],
  [
    'a Fortran-ordered .npy',
    async () => {
      await temp.write(
        'x.npy',
        encodeNpy({ descr: '<f4', shape: [2, 8, 8, 3], data: rows(2, 192), fortranOrder: true }),
      );
      return 'x.npy';
    },
    'npy_invalid',
    /fortran_order is True/,
  ],
  [
    'a .npy with a NaN',
    async () => {
      const values = Array.from({ length: 2 * 192 }, () => 0.5);
      values[192 + 5] = Number.NaN;
      await temp.write('x.npy', encodeNpy({ descr: '<f4', shape: [2, 8, 8, 3], data: float32Bytes(values) }));
      return 'x.npy';
    },
    'npy_invalid',
    /x\.npy is not a usable \.npy array: row 1 holds NaN at position 5/,
  ],
];

describe('a hostile dataset is refused by readSample', () => {
  it.each(hostile)('%s', async (_, write, code, message) => {
    const prefix = await write();
    const started = performance.now();
    await expect(readSample(temp.store, prefix, RGB, {}, request(16))).rejects.toMatchObject({
      code,
      message: expect.stringMatching(message),
    });
    expect(performance.now() - started).toBeLessThan(5000);
  });
});

describe('data limits', () => {
  it('maxSampleImages counts the sample and the held-out samples, before listing', async () => {
    await expect(
      readSample(temp.store, 'not-there', RGB, {}, request(8, 3), { maxSampleImages: 10 }),
    ).rejects.toMatchObject({
      code: 'sample_too_large',
      message:
        'the job asks for 11 samples (sample 8 + held-out 3), over the limit of 10 samples (maxSampleImages)',
    });
    await expect(
      readSample(temp.store, 'not-there', RGB, {}, request(8, 3), { maxSampleImages: 11 }),
    ).rejects.toMatchObject({ code: 'data_not_found' });
    await expect(
      readSample(temp.store, 'x', RGB, {}, request(2), { maxSampleImages: 0 }),
    ).rejects.toMatchObject({
      code: 'sample_request_invalid',
      message: expect.stringContaining('maxSampleImages must be a positive integer, got 0'),
    });
  });

  it('maxPixelsPerImage trips on a 20×10 image at 199 and lets it through at 200', async () => {
    await temp.write('img/a.png', await encodeImage(solid(20, 10, [1, 2, 3]), 20, 10, 3, 'png'));
    await temp.write('img/b.png', await encodeImage(solid(20, 10, [1, 2, 3]), 20, 10, 3, 'png'));
    await expect(
      readSample(temp.store, 'img', RGB, {}, request(2), { maxPixelsPerImage: 199 }),
    ).rejects.toMatchObject({
      code: 'image_too_large',
      message: expect.stringMatching(
        /img\/[ab]\.png is 20×10 = 200 pixels, over the limit of 199 pixels \(maxPixelsPerImage\)/,
      ),
    });
    const sample = await readSample(temp.store, 'img', RGB, {}, request(2), { maxPixelsPerImage: 200 });
    expect(sample.init.shape).toEqual([2, 8, 8, 3]);
    tf.dispose([sample.init]);
  });

  it('lets a job ask for fewer pixels than maxPixelsPerImage, never for more', async () => {
    await temp.write('img/a.png', await encodeImage(solid(20, 10, [1, 2, 3]), 20, 10, 3, 'png'));
    await temp.write('img/b.png', await encodeImage(solid(20, 10, [1, 2, 3]), 20, 10, 3, 'png'));
    await expect(
      readSample(temp.store, 'img', RGB, { maxPixels: 150 }, request(2), { maxPixelsPerImage: 1000 }),
    ).rejects.toMatchObject({
      message: expect.stringContaining('over the limit of 150 pixels (preprocessing.maxPixels)'),
    });
    await expect(
      readSample(temp.store, 'img', RGB, { maxPixels: 1_000_000 }, request(2), { maxPixelsPerImage: 150 }),
    ).rejects.toMatchObject({
      message: expect.stringContaining('over the limit of 150 pixels (maxPixelsPerImage)'),
    });
  });

  it('maxPixelsPerImage bounds the model input too, before listing', async () => {
    await expect(
      readSample(temp.store, 'img', { shape: [100_000, 100_000, 3] }, {}, request(2)),
    ).rejects.toMatchObject({
      code: 'input_shape_invalid',
      message:
        'model input shape [100000,100000,3] has 10000000000 pixels per image, over the limit of 50000000 (maxPixelsPerImage)',
    });
  });
});

/** Counts the keys `store`'s listings return; the store itself does the work. */
function countListed(store: ObjectStore): { listed: number } {
  const counter = { listed: 0 };
  const list = store.list.bind(store);
  store.list = async (prefix, options) => {
    const keys = await list(prefix, options);
    counter.listed += keys.length;
    return keys;
  };
  return counter;
}

const KEYS = 2100;
const BOUND = 1100;
const keyOf = (i: number) => `big/img-${String(i).padStart(4, '0')}.png`;

/** Draws with two seeds from a prefix of KEYS images, listing at most BOUND keys. */
async function drawTwice(store: ObjectStore) {
  const counter = countListed(store);
  const draw = async (seed: number) => {
    const sample = await readSample(store, 'big', RGB, {}, request(6, 0, seed), { maxListedKeys: BOUND });
    sample.init.dispose();
    return sample.items.init;
  };
  return { first: await draw(1), again: await draw(1), other: await draw(2), listed: counter.listed };
}

/** What every bounded listing must show: BOUND keys seen per draw, the sample drawn from them with the seed. */
function expectBoundedDraws({ first, again, other, listed }: Awaited<ReturnType<typeof drawTwice>>) {
  expect(listed).toBe(3 * BOUND);
  const seen = new Set(Array.from({ length: BOUND }, (_, i) => keyOf(i)));
  expect([...first, ...other].every((key) => seen.has(key))).toBe(true);
  expect(again).toEqual(first);
  expect(other).not.toEqual(first);
}

describe('listing a prefix of thousands of keys is bounded by maxListedKeys, and sampled', () => {
  it('on a FileStore', async () => {
    const image = await png(128);
    await mkdir(path.join(temp.root, 'big'));
    await forEachBounded(
      Array.from({ length: KEYS }, (_, i) => i),
      16,
      (i) => temp.write(keyOf(i), image),
    );
    expectBoundedDraws(await drawTwice(temp.store));
  });

  describe('on an S3 server, across pages', () => {
    let server: S3TestServer;
    let client: S3Client;
    let listRequests = 0;
    beforeAll(async () => {
      server = await startS3Server(['ddinit-hostile-data']);
      client = createS3Client(server.settings);
      client.middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName === 'ListObjectsV2Command') listRequests++;
          return next(args);
        },
        { step: 'initialize', name: 'countListRequests' },
      );
    }, 30_000);
    afterAll(async () => {
      client?.destroy();
      await server?.close();
    });

    it('lists two pages of 1000 and 100 keys instead of all three, and draws from them', async () => {
      const store = new S3Store({ client, bucket: 'ddinit-hostile-data', prefix: 'listing' });
      const image = await png(128);
      await forEachBounded(
        Array.from({ length: KEYS }, (_, i) => i),
        32,
        (i) => store.put(keyOf(i), image),
      );
      listRequests = 0;
      expectBoundedDraws(await drawTwice(store));
      expect(listRequests).toBe(3 * 2);
      // Unbounded, the same prefix takes three pages: the bound is what saved the third.
      listRequests = 0;
      expect(await store.list('big')).toHaveLength(KEYS);
      expect(listRequests).toBe(3);
    }, 120_000);
  });
});
