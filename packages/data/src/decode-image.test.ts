import sharp from 'sharp';
import { bands, encodeImage, type Format, noise, pngWithHeader, solid } from '../test/fixtures.js';
import { decodeImage } from './decode-image.js';
import type { ImageGeometry } from './input-spec.js';

const RED = [255, 0, 0];
const GREEN = [0, 255, 0];
const BLUE = [0, 0, 255];

const decode = (
  bytes: Uint8Array,
  geometry: ImageGeometry,
  options: { resize?: 'stretch' | 'center-crop'; maxPixels?: number } = {},
) =>
  decodeImage(bytes, geometry, {
    uri: 'file:///data/cat.png',
    resize: options.resize ?? 'stretch',
    maxPixels: options.maxPixels ?? 50_000_000,
  });

/** The pixel at (x, y) of channels-last data. */
const pixel = (data: Uint8Array, geometry: ImageGeometry, x: number, y: number) => [
  ...data.subarray(
    (y * geometry.width + x) * geometry.channels,
    (y * geometry.width + x + 1) * geometry.channels,
  ),
];

describe('decodeImage', () => {
  it.each<Format>(['png', 'webp'])('keeps a solid colour exact through a resize (%s)', async (format) => {
    const bytes = await encodeImage(solid(37, 23, [200, 100, 50]), 37, 23, 3, format);
    const geometry = { height: 8, width: 8, channels: 3 } as const;
    const data = await decode(bytes, geometry);
    expect(data.length).toBe(8 * 8 * 3);
    expect(
      new Set(Array.from({ length: 64 }, (_, i) => pixel(data, geometry, i % 8, Math.floor(i / 8)).join())),
    ).toEqual(new Set(['200,100,50']));
  });

  it('decodes a JPEG close to its colour', async () => {
    const bytes = await encodeImage(solid(33, 17, [200, 100, 50]), 33, 17, 3, 'jpeg');
    const geometry = { height: 4, width: 4, channels: 3 } as const;
    const data = await decode(bytes, geometry);
    for (let i = 0; i < data.length; i++)
      expect(Math.abs(data[i]! - [200, 100, 50][i % 3]!)).toBeLessThanOrEqual(2);
  });

  it('repeats a greyscale image into RGB', async () => {
    const bytes = await encodeImage(solid(9, 7, [77]), 9, 7, 1, 'png');
    const data = await decode(bytes, { height: 3, width: 3, channels: 3 });
    expect([...new Set(data)]).toEqual([77]);
  });

  it('drops alpha without touching the colours under it', async () => {
    const bytes = await encodeImage(solid(9, 7, [10, 20, 30, 128]), 9, 7, 4, 'png');
    const geometry = { height: 3, width: 5, channels: 3 } as const;
    const data = await decode(bytes, geometry);
    expect(data.length).toBe(3 * 5 * 3);
    expect(pixel(data, geometry, 0, 0)).toEqual([10, 20, 30]);
    expect(pixel(data, geometry, 4, 2)).toEqual([10, 20, 30]);
  });

  it('drops alpha of a grey-with-alpha image', async () => {
    const bytes = await encodeImage(solid(6, 6, [90, 40]), 6, 6, 2, 'png');
    const data = await decode(bytes, { height: 2, width: 2, channels: 3 });
    expect([...new Set(data)]).toEqual([90]);
  });

  it('keeps alpha for a 4-channel model and adds it to opaque images', async () => {
    const rgba = await encodeImage(solid(4, 4, [10, 20, 30, 128]), 4, 4, 4, 'png');
    expect([...(await decode(rgba, { height: 4, width: 4, channels: 4 })).subarray(0, 4)]).toEqual([
      10, 20, 30, 128,
    ]);
    const rgb = await encodeImage(solid(4, 4, [10, 20, 30]), 4, 4, 3, 'webp');
    expect([...(await decode(rgb, { height: 2, width: 2, channels: 4 })).subarray(0, 4)]).toEqual([
      10, 20, 30, 255,
    ]);
  });

  it("turns colour into grey with PIL's luma and keeps grey images exact", async () => {
    const colour = await encodeImage(solid(5, 5, [255, 0, 0]), 5, 5, 3, 'png');
    // PIL: L = R * 299/1000 + G * 587/1000 + B * 114/1000 → 76 for pure red.
    expect([...new Set(await decode(colour, { height: 2, width: 2, channels: 1 }))]).toEqual([76]);
    const grey = await encodeImage(solid(5, 5, [123]), 5, 5, 1, 'webp');
    const data = await decode(grey, { height: 3, width: 3, channels: 1 });
    expect(data.length).toBe(9);
    expect([...new Set(data)]).toEqual([123]);
  });

  it('stretches the whole image to H×W', async () => {
    // Left half red, right half blue; stretched to 8×4 the outer columns keep their colour.
    const bytes = await encodeImage(bands(64, 16, [RED, BLUE]), 64, 16, 3, 'png');
    const geometry = { height: 4, width: 8, channels: 3 } as const;
    const data = await decode(bytes, geometry);
    expect(pixel(data, geometry, 0, 0)).toEqual(RED);
    expect(pixel(data, geometry, 7, 3)).toEqual(BLUE);
    for (let x = 0; x < 8; x++) {
      const [r, , b] = pixel(data, geometry, x, 2);
      expect(x < 4 ? r! > b! : b! > r!).toBe(true);
    }
  });

  it('center-crop resizes the short side and keeps the middle', async () => {
    // Red | green | blue in thirds: a square centre crop at scale 1 is exactly the green third.
    const bytes = await encodeImage(bands(6, 2, [RED, GREEN, BLUE]), 6, 2, 3, 'png');
    const geometry = { height: 2, width: 2, channels: 3 } as const;
    const cropped = await decode(bytes, geometry, { resize: 'center-crop' });
    expect([0, 1].flatMap((y) => [0, 1].map((x) => pixel(cropped, geometry, x, y)))).toEqual([
      GREEN,
      GREEN,
      GREEN,
      GREEN,
    ]);
    const stretched = await decode(bytes, geometry, { resize: 'stretch' });
    expect(pixel(stretched, geometry, 0, 0)).not.toEqual(GREEN);

    const larger = await encodeImage(bands(96, 32, [RED, GREEN, BLUE]), 96, 32, 3, 'png');
    const small = await decode(larger, { height: 4, width: 4, channels: 3 }, { resize: 'center-crop' });
    for (let i = 0; i < small.length; i += 3) expect(small[i + 1]).toBeGreaterThan(200);
  });

  it('applies the EXIF orientation, as photo viewers do', async () => {
    // Red | blue columns, tagged "rotate 90° clockwise to display": red ends up on top.
    const bytes = await sharp(bands(2, 2, [RED, BLUE]), { raw: { width: 2, height: 2, channels: 3 } })
      .withMetadata({ orientation: 6 })
      .png()
      .toBuffer();
    const geometry = { height: 2, width: 2, channels: 3 } as const;
    const data = await decode(bytes, geometry);
    expect([pixel(data, geometry, 0, 0), pixel(data, geometry, 1, 0)]).toEqual([RED, RED]);
    expect([pixel(data, geometry, 0, 1), pixel(data, geometry, 1, 1)]).toEqual([BLUE, BLUE]);
  });

  it('refuses a truncated JPEG as image_corrupt naming the file', async () => {
    const bytes = await encodeImage(noise(64, 48, 3), 64, 48, 3, 'jpeg');
    const truncated = bytes.subarray(0, Math.floor(bytes.length * 0.6));
    await expect(decode(truncated, { height: 8, width: 8, channels: 3 })).rejects.toMatchObject({
      code: 'image_corrupt',
      message: expect.stringContaining('file:///data/cat.png'),
    });
  });

  it('refuses bytes that are no image as image_corrupt', async () => {
    await expect(
      decode(Buffer.from('not an image at all'), { height: 8, width: 8, channels: 3 }),
    ).rejects.toMatchObject({
      code: 'image_corrupt',
      message: expect.stringMatching(/cat\.png: .*unsupported image format/),
    });
  });

  it('refuses a 100000×100000 PNG from its header, before decoding', async () => {
    const started = Date.now();
    await expect(
      decode(pngWithHeader(100_000, 100_000), { height: 8, width: 8, channels: 3 }),
    ).rejects.toMatchObject({
      code: 'image_too_large',
      message: expect.stringContaining('file:///data/cat.png'),
    });
    // Decoding ten billion pixels would take minutes (or fail as corrupt); the header check takes milliseconds.
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('applies maxPixels', async () => {
    const bytes = await encodeImage(solid(20, 10, [1, 2, 3]), 20, 10, 3, 'png');
    await expect(
      decode(bytes, { height: 2, width: 2, channels: 3 }, { maxPixels: 199 }),
    ).rejects.toMatchObject({
      code: 'image_too_large',
    });
    await expect(
      decode(bytes, { height: 2, width: 2, channels: 3 }, { maxPixels: 200 }),
    ).resolves.toHaveLength(12);
  });
});
