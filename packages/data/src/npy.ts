/**
 * Reader for NumPy's .npy format (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html),
 * limited to what a dataset needs: little-endian float32 or uint8, C order.
 */

import { npyInvalid } from './errors.js';

/** A parsed array: `data` holds `shape`'s product of values, C order. */
export type NpyArray =
  | { dtype: 'float32'; shape: number[]; data: Float32Array }
  | { dtype: 'uint8'; shape: number[]; data: Uint8Array };

/** What is wrong with the file; `parseNpy` turns it into `npy_invalid` naming the file. */
class NpyFormatError extends Error {}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const DTYPES: Record<string, 'float32' | 'uint8'> = {
  '<f4': 'float32',
  '|u1': 'uint8',
  '<u1': 'uint8',
  '>u1': 'uint8',
};

/** Parses a .npy file; throws `npy_invalid` naming `uri` and the problem. */
export function parseNpy(bytes: Uint8Array, uri: string): NpyArray {
  try {
    return parse(bytes);
  } catch (error) {
    if (error instanceof NpyFormatError) throw npyInvalid(uri, error.message);
    throw error;
  }
}

function parse(bytes: Uint8Array): NpyArray {
  if (bytes.length < 10 || !MAGIC.every((byte, i) => bytes[i] === byte))
    throw new NpyFormatError('missing the \\x93NUMPY magic string');
  const major = bytes[6]!;
  const minor = bytes[7]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Version 1 stores the header length in 2 bytes; 2 and 3 use 4 for headers over 64 KiB.
  let headerStart: number;
  let headerLength: number;
  if (major === 1) {
    headerStart = 10;
    headerLength = view.getUint16(8, true);
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new NpyFormatError('the header is truncated');
    headerStart = 12;
    headerLength = view.getUint32(8, true);
  } else {
    throw new NpyFormatError(`format version ${major}.${minor} is not supported (1.0, 2.0 or 3.0)`);
  }
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.length) throw new NpyFormatError('the header is truncated');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(
    bytes.subarray(headerStart, dataStart),
  );
  const { descr, fortranOrder, shape } = parseHeader(header);

  const dtype = DTYPES[descr];
  if (!dtype) throw new NpyFormatError(unsupportedDtype(descr));
  if (fortranOrder)
    throw new NpyFormatError('fortran_order is True; save a C-ordered array (np.ascontiguousarray(a))');

  const itemSize = dtype === 'float32' ? 4 : 1;
  const count = shape.reduce((product, size) => product * size, 1);
  const expected = count * itemSize;
  const actual = bytes.length - dataStart;
  if (actual < expected)
    throw new NpyFormatError(
      `truncated: the header's shape (${shape.join(', ')}) needs ${expected} bytes of data, the file has ${actual}`,
    );
  if (actual > expected)
    throw new NpyFormatError(
      `${actual - expected} bytes after the data that the header's shape (${shape.join(', ')}) describes`,
    );

  if (dtype === 'uint8') return { dtype, shape, data: bytes.subarray(dataStart, dataStart + expected) };
  const offset = bytes.byteOffset + dataStart;
  // A Float32Array view needs 4-byte alignment; headers are padded to 64 bytes but the buffer itself may not be.
  const data =
    offset % 4 === 0
      ? new Float32Array(bytes.buffer, offset, count)
      : new Float32Array(bytes.slice(dataStart, dataStart + expected).buffer);
  return { dtype, shape, data };
}

/** Reads the header, a Python dict literal such as `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`. */
function parseHeader(header: string): { descr: string; fortranOrder: boolean; shape: number[] } {
  if (!header.trimStart().startsWith('{')) throw new NpyFormatError('the header is not a Python dict');
  const descr = /['"]descr['"]\s*:\s*(['"])(.*?)\1/.exec(header)?.[2];
  if (descr === undefined) {
    if (/['"]descr['"]\s*:\s*\[/.test(header))
      throw new NpyFormatError('structured dtypes are not supported; save a plain float32 or uint8 array');
    throw new NpyFormatError("the header has no 'descr'");
  }
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header)?.[1];
  if (fortran === undefined) throw new NpyFormatError("the header has no 'fortran_order'");
  const dims = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (dims === undefined) throw new NpyFormatError("the header has no 'shape' tuple");
  const shape = dims
    .split(',')
    .map((dim) => dim.trim())
    .filter((dim) => dim !== '')
    .map((dim) => {
      // Python 2 wrote longs with an L suffix.
      const size = Number(dim.replace(/L$/, ''));
      if (!Number.isSafeInteger(size) || size < 0)
        throw new NpyFormatError(`the shape has a bad dimension ${dim}`);
      return size;
    });
  return { descr, fortranOrder: fortran === 'True', shape };
}

function unsupportedDtype(descr: string): string {
  const hint = 'save it as little-endian float32 (a.astype("<f4")) or uint8 (a.astype("u1"))';
  if (descr.startsWith('>')) return `dtype '${descr}' is big-endian; ${hint}`;
  return `dtype '${descr}' is not supported; ${hint}`;
}
