import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { FileStore } from '@ddinit/storage';
import sharp from 'sharp';

/** A FileStore over a fresh temporary folder. */
export interface TempStore {
  root: string;
  store: FileStore;
  write(key: string, data: Uint8Array | string): Promise<void>;
  remove(): Promise<void>;
}

export async function tempStore(): Promise<TempStore> {
  const root = await mkdtemp(path.join(tmpdir(), 'ddinit-data-'));
  return {
    root,
    store: new FileStore(root),
    async write(key, data) {
      const file = path.join(root, key);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, data);
    },
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

export type Format = 'png' | 'jpeg' | 'webp';

/** Encodes raw 8-bit pixels (channels last). WebP is lossless so that pixel values survive exactly. */
export async function encodeImage(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: 1 | 2 | 3 | 4,
  format: Format,
): Promise<Buffer> {
  let image = sharp(pixels, { raw: { width, height, channels } });
  // sharp writes single-band data as RGB unless told the image is greyscale.
  if (channels <= 2) image = image.toColourspace('b-w');
  if (format === 'png') return image.png().toBuffer();
  if (format === 'webp') return image.webp({ lossless: true }).toBuffer();
  return image.jpeg({ quality: 95 }).toBuffer();
}

/** Pixels of one colour. */
export function solid(width: number, height: number, colour: readonly number[]): Uint8Array {
  const pixels = new Uint8Array(width * height * colour.length);
  for (let i = 0; i < width * height; i++) pixels.set(colour, i * colour.length);
  return pixels;
}

/** Pixels whose columns take their colour from `bands` left to right, in equal widths. */
export function bands(width: number, height: number, colours: readonly (readonly number[])[]): Uint8Array {
  const channels = colours[0]!.length;
  const pixels = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      pixels.set(colours[Math.floor((x * colours.length) / width)]!, (y * width + x) * channels);
  return pixels;
}

/** Deterministic noise, which JPEG cannot compress to a few bytes. */
export function noise(width: number, height: number, channels: number, seed = 1): Uint8Array {
  const pixels = new Uint8Array(width * height * channels);
  let state = seed;
  for (let i = 0; i < pixels.length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    pixels[i] = state >>> 24;
  }
  return pixels;
}

/** A PNG whose IHDR declares `width × height` RGB pixels, followed by a few bytes of image data. */
export function pngWithHeader(width: number, height: number): Uint8Array {
  const chunk = (type: string, data: Uint8Array) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), body.length + 4);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(16))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

export interface NpyFixture {
  descr: string;
  shape: readonly number[];
  data: Uint8Array;
  fortranOrder?: boolean;
  version?: 1 | 2 | 3;
}

/** Writes the .npy format as NumPy does: header padded with spaces to a multiple of 64 bytes. */
export function encodeNpy({ descr, shape, data, fortranOrder = false, version = 1 }: NpyFixture): Uint8Array {
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${descr}', 'fortran_order': ${fortranOrder ? 'True' : 'False'}, 'shape': ${tuple}, }`;
  const prefix = version === 1 ? 10 : 12;
  const padded = `${dict.padEnd(Math.ceil((prefix + dict.length + 1) / 64) * 64 - prefix - 1, ' ')}\n`;
  const header = Buffer.from(padded, version === 3 ? 'utf8' : 'latin1');
  const start = Buffer.alloc(prefix);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]).copy(start);
  start[6] = version;
  start[7] = 0;
  if (version === 1) start.writeUInt16LE(header.length, 8);
  else start.writeUInt32LE(header.length, 8);
  return Buffer.concat([start, header, data]);
}

/** Little-endian float32 bytes. */
export function float32Bytes(values: ArrayLike<number>): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}
