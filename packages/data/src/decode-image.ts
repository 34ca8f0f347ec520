import sharp, { type OutputInfo, type Sharp, type SharpOptions } from 'sharp';
import { imageCorrupt, imageTooLarge } from './errors.js';
import type { ImageGeometry } from './input-spec.js';
import type { Preprocessing } from './preprocessing.js';

/** Where the bytes came from (for messages), and how to fit them to the model. */
export interface DecodeImageOptions {
  /** Location of the image, named in errors. */
  uri: string;
  resize: Preprocessing['resize'];
  maxPixels: number;
  /** The setting `maxPixels` comes from, named when an image is over it. @defaultValue `'preprocessing.maxPixels'` */
  maxPixelsSetting?: string;
}

/**
 * Decodes an encoded image (JPEG, PNG, WebP) into 8-bit pixels of the model's geometry: `height × width ×
 * channels`, channels last, RGB(A) order. Greyscale images are repeated into RGB, alpha is dropped for 1- and
 * 3-channel models (as PIL's `convert('RGB')` does) and colour becomes grey with PIL's ITU-R 601-2 luma.
 */
export async function decodeImage(
  bytes: Uint8Array,
  geometry: ImageGeometry,
  options: DecodeImageOptions,
): Promise<Uint8Array> {
  const input: SharpOptions = {
    // The pixel limit is checked against the header, so a decompression bomb is refused before any decoding.
    limitInputPixels: options.maxPixels,
    // 'error' aborts on truncated or broken pixel data; the default 'warning' would also refuse benign files.
    failOn: 'error',
    autoOrient: true,
  };
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    const { hasAlpha } = await sharp(bytes, input).metadata();
    let image: Sharp = sharp(bytes, input);
    if (hasAlpha && geometry.channels !== 4) {
      // sharp resizes before it removes alpha, premultiplying and rounding the colours under transparency;
      // drop alpha in a pass of its own so that those colours stay exact.
      const opaque = await image.removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
      const { width, height, channels } = opaque.info;
      image = sharp(opaque.data, { raw: { width, height, channels }, limitInputPixels: options.maxPixels });
    }
    image = image.resize(geometry.width, geometry.height, {
      fit: options.resize === 'center-crop' ? 'cover' : 'fill',
      position: 'centre',
    });
    image = geometry.channels === 4 ? image.ensureAlpha() : image.removeAlpha();
    decoded = await image.toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/exceeds pixel limit/i.test(message))
      throw imageTooLarge(
        options.uri,
        await headerSize(bytes),
        options.maxPixels,
        options.maxPixelsSetting ?? 'preprocessing.maxPixels',
      );
    throw imageCorrupt(options.uri, firstLine(message));
  }

  const { data, info } = decoded;
  const channels = geometry.channels === 1 ? 3 : geometry.channels;
  if (info.channels !== channels || info.width !== geometry.width || info.height !== geometry.height)
    throw new Error(
      `decoding ${options.uri} gave ${info.width}×${info.height}×${info.channels} pixels, expected ${geometry.width}×${geometry.height}×${channels}`,
    );
  const pixels = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return geometry.channels === 1 ? luma(pixels) : pixels;
}

/** `width×height = n pixels` from the image's header alone (sharp's metadata never decodes pixel data). */
async function headerSize(bytes: Uint8Array): Promise<string> {
  try {
    const { width, height } = await sharp(bytes, { limitInputPixels: false }).metadata();
    return `${width}×${height} = ${width * height} pixels`;
  } catch {
    return 'too large';
  }
}

/** RGB to grey in integers, exactly as PIL's `convert('L')`: grey input stays unchanged. */
function luma(rgb: Uint8Array): Uint8Array {
  const grey = new Uint8Array(rgb.length / 3);
  for (let i = 0, j = 0; j < grey.length; i += 3, j++)
    grey[j] = (rgb[i]! * 19595 + rgb[i + 1]! * 38470 + rgb[i + 2]! * 7471 + 0x8000) >>> 16;
  return grey;
}

/** libvips repeats its error log over several lines; the first says what went wrong. */
function firstLine(message: string): string {
  return message.split('\n', 1)[0]!.trim() || 'unreadable image data';
}
