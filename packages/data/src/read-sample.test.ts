import { mkdir } from 'node:fs/promises';
import type { ObjectStore } from '@ddinit/storage';
import * as tf from '@tensorflow/tfjs';
import {
  bands,
  encodeImage,
  encodeNpy,
  float32Bytes,
  noise,
  pngWithHeader,
  solid,
  type TempStore,
  tempStore,
} from '../test/fixtures.js';
import { readSample } from './read-sample.js';

let temp: TempStore;
beforeEach(async () => {
  temp = await tempStore();
});
afterEach(async () => {
  await temp.remove();
});

const RGB = { shape: [8, 8, 3] };
const request = (count: number, heldOut = 0, seed = 0) => ({ count, heldOut, seed });

/** Writes `count` small images, each a solid grey of its index, in turn PNG, JPEG and WebP, some RGBA or grey. */
async function writeImages(folder: string, count: number): Promise<void> {
  const formats = ['png', 'jpeg', 'webp'] as const;
  for (let i = 0; i < count; i++) {
    const format = formats[i % 3]!;
    const channels = format === 'jpeg' ? 3 : i % 2 === 0 ? 4 : 1;
    const colour = channels === 4 ? [i, i, i, 200] : channels === 1 ? [i] : [i, i, i];
    const [width, height] = [13 + i, 9 + (i % 5)];
    const name = `${folder}/img-${String(i).padStart(2, '0')}.${format === 'jpeg' ? 'jpg' : format}`;
    await temp.write(name, await encodeImage(solid(width, height, colour), width, height, channels, format));
  }
}

describe('readSample from an image folder', () => {
  it('returns float32 NHWC tensors of the drawn images', async () => {
    await writeImages('images', 10);
    const sample = await readSample(temp.store, 'images', RGB, {}, request(6, 3, 1));
    expect(sample.init.shape).toEqual([6, 8, 8, 3]);
    expect(sample.init.dtype).toBe('float32');
    expect(sample.heldOut?.shape).toEqual([3, 8, 8, 3]);
    expect(sample.items.init).toHaveLength(6);
    expect(sample.items.init.every((key) => key.startsWith('images/img-'))).toBe(true);
    // Each image is a solid grey of its index, so each tensor row says which image it came from.
    const values = (await sample.init.array()) as number[][][][];
    sample.items.init.forEach((key, n) => {
      const index = Number(/img-(\d+)/.exec(key)![1]);
      const tolerance = key.endsWith('.jpg') ? 2 / 255 : 1e-7;
      expect(Math.abs(values[n]![4]![4]![1]! - index / 255)).toBeLessThanOrEqual(tolerance);
    });
    tf.dispose([sample.init, sample.heldOut!]);
  });

  it('gives exactly the expected normalized values for a solid colour', async () => {
    for (const [i, format] of (['png', 'webp'] as const).entries())
      await temp.write(
        `solid/${i}.${format}`,
        await encodeImage(solid(30, 20, [200, 100, 50]), 30, 20, 3, format),
      );
    const mean = [0.485, 0.456, 0.406];
    const std = [0.229, 0.224, 0.225];
    const sample = await readSample(temp.store, 'solid', { shape: [5, 7, 3] }, { mean, std }, request(2));
    const expected = [200, 100, 50].map((v, c) => Math.fround((v / 255 - mean[c]!) / std[c]!));
    const data = sample.init.dataSync();
    expect(data).toHaveLength(2 * 5 * 7 * 3);
    for (let i = 0; i < data.length; i++) expect(data[i]).toBe(expected[i % 3]);

    const symmetric = (
      await readSample(temp.store, 'solid', { shape: [2, 2, 1] }, { scale: 'symmetric' }, request(2))
    ).init;
    // PIL luma of (200, 100, 50) is 124.
    expect([...new Set(symmetric.dataSync())]).toEqual([Math.fround(124 / 127.5 - 1)]);
  });

  it('resizes and reorders channels (bgr)', async () => {
    const split = bands(64, 16, [
      [255, 0, 0],
      [0, 0, 255],
    ]);
    for (const name of ['a.png', 'b.png'])
      await temp.write(`split/${name}`, await encodeImage(split, 64, 16, 3, 'png'));
    const sample = await readSample(
      temp.store,
      'split',
      { shape: [4, 8, 3] },
      { channelOrder: 'bgr' },
      request(2),
    );
    const image = ((await sample.init.array()) as number[][][][])[0]!;
    expect(image[0]![0]).toEqual([0, 0, 1]); // red, as B, G, R
    expect(image[3]![7]).toEqual([1, 0, 0]); // blue, as B, G, R
  });

  it('draws the same items in the same order for the same seed, disjoint from the held-out ones', async () => {
    await writeImages('images', 12);
    const a = await readSample(temp.store, 'images', RGB, {}, request(5, 4, 42));
    const b = await readSample(temp.store, 'images', RGB, {}, request(5, 4, 42), { concurrency: 1 });
    const c = await readSample(temp.store, 'images', RGB, {}, request(5, 4, 43));
    expect(a.items).toEqual(b.items);
    expect([...a.init.dataSync()]).toEqual([...b.init.dataSync()]);
    expect([...a.heldOut!.dataSync()]).toEqual([...b.heldOut!.dataSync()]);
    expect(c.items.init).not.toEqual(a.items.init);
    expect(new Set([...a.items.init, ...a.items.heldOut]).size).toBe(9);
  });

  it('uses every image when there are fewer than asked, with nothing held out', async () => {
    await writeImages('few', 3);
    const sample = await readSample(temp.store, 'few', RGB, {}, request(10, 5));
    expect(sample.init.shape[0]).toBe(3);
    expect(sample.heldOut).toBeNull();
    expect(sample.items.heldOut).toEqual([]);
  });

  it('needs at least two images', async () => {
    await writeImages('one', 1);
    await expect(readSample(temp.store, 'one', RGB, {}, request(10))).rejects.toMatchObject({
      code: 'sample_too_small',
    });
  });

  it('ignores other files, hidden files and sibling folders, and searches subfolders', async () => {
    await writeImages('set/cats', 2);
    await writeImages('set/dogs', 2);
    await writeImages('set-old', 3);
    await temp.write('set/labels.txt', 'cat\ndog\n');
    await temp.write('set/.DS_Store', 'binary junk');
    await temp.write('set/cats/._img-00.png', 'AppleDouble junk');
    await temp.write('set/.cache/broken.png', 'junk');
    await temp.write('set/UPPER.JPEG', await encodeImage(solid(9, 9, [1, 2, 3]), 9, 9, 3, 'jpeg'));
    const sample = await readSample(temp.store, 'set', RGB, {}, request(100));
    expect([...sample.items.init].sort()).toEqual([
      'set/UPPER.JPEG',
      'set/cats/img-00.png',
      'set/cats/img-01.jpg',
      'set/dogs/img-00.png',
      'set/dogs/img-01.jpg',
    ]);
  });

  it('lists at most maxListedKeys keys', async () => {
    await writeImages('images', 9);
    const sample = await readSample(temp.store, 'images/', RGB, {}, request(100), { maxListedKeys: 4 });
    expect([...sample.items.init].sort()).toEqual(
      [0, 1, 2, 3].map((i) => `images/img-0${i}.${['png', 'jpg', 'webp'][i % 3]}`),
    );
  });

  it('fails on a corrupt or truncated image, naming it', async () => {
    await writeImages('images', 4);
    const jpeg = await encodeImage(noise(64, 48, 3), 64, 48, 3, 'jpeg');
    await temp.write('images/truncated.jpg', jpeg.subarray(0, Math.floor(jpeg.length / 2)));
    await expect(readSample(temp.store, 'images', RGB, {}, request(100))).rejects.toMatchObject({
      code: 'image_corrupt',
      message: expect.stringContaining('images/truncated.jpg'),
    });
  });

  it('refuses an image whose header declares 100000×100000 pixels', async () => {
    await writeImages('images', 2);
    await temp.write('images/bomb.png', pngWithHeader(100_000, 100_000));
    await expect(readSample(temp.store, 'images', RGB, {}, request(100))).rejects.toMatchObject({
      code: 'image_too_large',
      message: expect.stringContaining('images/bomb.png'),
    });
  });

  it('says data_empty for a folder without images', async () => {
    await temp.write('docs/readme.txt', 'no images here');
    await temp.write('docs/.DS_Store', 'junk');
    await expect(readSample(temp.store, 'docs', RGB, {}, request(4))).rejects.toMatchObject({
      code: 'data_empty',
      message: expect.stringMatching(/docs: 2 files but no .jpg/),
    });
  });

  it('says data_not_found for a missing or empty folder, which an object store cannot tell apart', async () => {
    await expect(readSample(temp.store, 'nowhere', RGB, {}, request(4))).rejects.toMatchObject({
      code: 'data_not_found',
      message: expect.stringContaining('nowhere'),
    });
    await mkdir(`${temp.root}/empty`);
    await expect(readSample(temp.store, 'empty', RGB, {}, request(4))).rejects.toMatchObject({
      code: 'data_not_found',
    });
  });

  it('says data_unsupported for a single file that is not .npy', async () => {
    await temp.write('one.png', await encodeImage(solid(4, 4, [1, 2, 3]), 4, 4, 3, 'png'));
    await expect(readSample(temp.store, 'one.png', RGB, {}, request(4))).rejects.toMatchObject({
      code: 'data_unsupported',
    });
  });

  it('refuses an image folder for a non-image input', async () => {
    await writeImages('images', 2);
    await expect(readSample(temp.store, 'images', { shape: [784] }, {}, request(2))).rejects.toMatchObject({
      code: 'data_shape_mismatch',
      message: expect.stringContaining('[784] is not an image'),
    });
    await expect(
      readSample(temp.store, 'images', { shape: [8, 8, 2] }, {}, request(2)),
    ).rejects.toMatchObject({
      code: 'data_shape_mismatch',
    });
  });

  it('stops when the signal aborts', async () => {
    await writeImages('images', 8);
    const before = new AbortController();
    before.abort();
    await expect(
      readSample(temp.store, 'images', RGB, {}, request(8), { signal: before.signal }),
    ).rejects.toMatchObject({
      name: 'AbortError',
    });

    // Abort while the first image is being fetched: the read rejects without fetching the rest.
    const during = new AbortController();
    let fetched = 0;
    const store: ObjectStore = {
      uri: (key) => temp.store.uri(key),
      put: (key, data) => temp.store.put(key, data),
      delete: (keys) => temp.store.delete(keys),
      list: (prefix, options) => temp.store.list(prefix, options),
      stat: (key) => temp.store.stat(key),
      get: async (key) => {
        fetched++;
        during.abort();
        return temp.store.get(key);
      },
    };
    await expect(
      readSample(store, 'images', RGB, {}, request(8), { signal: during.signal, concurrency: 1 }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(fetched).toBe(1);
  });
});

describe('readSample from a .npy array', () => {
  it('round-trips float32 rows, applying mean/std only', async () => {
    const rows = 6;
    const values = Array.from({ length: rows * 4 }, (_, i) => i * 0.5 - 3);
    await temp.write('x.npy', encodeNpy({ descr: '<f4', shape: [rows, 4], data: float32Bytes(values) }));
    const sample = await readSample(temp.store, 'x.npy', { shape: [4] }, { scale: 'unit' }, request(4, 2, 5));
    expect(sample.init.shape).toEqual([4, 4]);
    expect(sample.heldOut?.shape).toEqual([2, 4]);
    const row = (item: string) => Number(/^x\.npy\[(\d+)\]$/.exec(item)![1]);
    const init = sample.init.arraySync() as number[][];
    sample.items.init.forEach((item, n) => {
      expect(init[n]).toEqual(values.slice(row(item) * 4, row(item) * 4 + 4));
    });
    expect(new Set([...sample.items.init, ...sample.items.heldOut].map(row))).toEqual(
      new Set([0, 1, 2, 3, 4, 5]),
    );

    const standardized = await readSample(
      temp.store,
      'x.npy',
      { shape: [4] },
      { mean: [1], std: [2] },
      request(6),
    );
    const first = row(standardized.items.init[0]!);
    expect((standardized.init.arraySync() as number[][])[0]).toEqual(
      values.slice(first * 4, first * 4 + 4).map((v) => (v - 1) / 2),
    );
  });

  it('round-trips uint8 images scaled like pixels, [N, H, W] for one channel', async () => {
    const pixels = Uint8Array.from({ length: 3 * 2 * 2 }, (_, i) => i * 20);
    await temp.write('mnist.npy', encodeNpy({ descr: '|u1', shape: [3, 2, 2], data: pixels }));
    const sample = await readSample(temp.store, 'mnist.npy', { shape: [2, 2, 1] }, {}, request(3, 0, 9));
    expect(sample.init.shape).toEqual([3, 2, 2, 1]);
    const data = sample.init.dataSync();
    sample.items.init.forEach((item, n) => {
      const row = Number(/\[(\d+)\]/.exec(item)![1]);
      for (let i = 0; i < 4; i++) expect(data[n * 4 + i]).toBe(Math.fround(pixels[row * 4 + i]! / 255));
    });
  });

  it('is deterministic for a seed', async () => {
    await temp.write('x.npy', encodeNpy({ descr: '|u1', shape: [50, 3], data: noise(50, 1, 3) }));
    const read = (seed: number) => readSample(temp.store, 'x.npy', { shape: [3] }, {}, request(10, 10, seed));
    const [a, b, c] = await Promise.all([read(1), read(1), read(2)]);
    expect(a.items).toEqual(b.items);
    expect(c.items.init).not.toEqual(a.items.init);
  });

  it.each([
    [
      'wrong shape',
      { descr: '<f4', shape: [2, 5], data: new Uint8Array(40) },
      'data_shape_mismatch',
      /\[2, 5\].*\[N, 4\]/,
    ],
    ['big-endian', { descr: '>f4', shape: [2, 4], data: new Uint8Array(32) }, 'npy_invalid', /big-endian/],
    [
      'float64',
      { descr: '<f8', shape: [2, 4], data: new Uint8Array(64) },
      'npy_invalid',
      /'<f8' is not supported/,
    ],
    ['truncated', { descr: '<f4', shape: [2, 4], data: new Uint8Array(30) }, 'npy_invalid', /truncated/],
    ['empty', { descr: '<f4', shape: [0, 4], data: new Uint8Array(0) }, 'data_empty', /0 rows/],
    [
      'one row',
      { descr: '<f4', shape: [1, 4], data: new Uint8Array(16) },
      'sample_too_small',
      /only 1 sample/,
    ],
  ])('refuses a %s array naming the file', async (_, fixture, code, problem) => {
    await temp.write('bad.npy', encodeNpy(fixture));
    const read = readSample(temp.store, 'bad.npy', { shape: [4] }, {}, request(4));
    await expect(read).rejects.toMatchObject({ code, message: expect.stringMatching(problem) });
    await expect(read).rejects.toThrow('bad.npy');
  });

  it('refuses non-finite values in drawn rows', async () => {
    await temp.write(
      'nan.npy',
      encodeNpy({ descr: '<f4', shape: [2, 2], data: float32Bytes([1, 2, Number.NaN, 4]) }),
    );
    await expect(readSample(temp.store, 'nan.npy', { shape: [2] }, {}, request(2))).rejects.toMatchObject({
      code: 'npy_invalid',
      message: expect.stringContaining('row 1 holds NaN'),
    });
  });

  it('says data_not_found for a missing .npy', async () => {
    await expect(readSample(temp.store, 'missing.npy', { shape: [4] }, {}, request(2))).rejects.toMatchObject(
      {
        code: 'data_not_found',
      },
    );
  });
});

describe('readSample arguments', () => {
  it('refuses bad input shapes, requests and preprocessing before reading', async () => {
    await expect(readSample(temp.store, 'x', { shape: [0, 4, 3] }, {}, request(2))).rejects.toMatchObject({
      code: 'input_shape_invalid',
    });
    await expect(readSample(temp.store, 'x', RGB, {}, request(2.5))).rejects.toMatchObject({
      code: 'sample_request_invalid',
    });
    await expect(readSample(temp.store, 'x', RGB, { mean: [1, 2] }, request(2))).rejects.toMatchObject({
      code: 'preprocessing_invalid',
    });
    await expect(
      readSample(temp.store, 'x', RGB, {}, request(2), { maxListedKeys: 0 }),
    ).rejects.toMatchObject({
      code: 'sample_request_invalid',
    });
  });
});
