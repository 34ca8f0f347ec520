import * as tf from '@tensorflow/tfjs';
import { decodeSafetensors, encodeSafetensors, type NamedWeight } from './safetensors.js';
import { useCpuBackend } from './testing/models.js';

beforeAll(useCpuBackend);

const weights = (): NamedWeight[] => [
  { name: 'conv2d/kernel', tensor: tf.tensor4d([1.5, -2, 3.25, 4e-20, 5, 6, 7, 8], [1, 2, 2, 2]) },
  { name: 'steps', tensor: tf.tensor1d([1, -2, 2147483647], 'int32') },
  { name: 'mask', tensor: tf.tensor2d([true, false, true], [3, 1], 'bool') },
  { name: 'scalar', tensor: tf.scalar(0.5) },
  { name: 'empty', tensor: tf.zeros([0, 3]) },
  { name: 'dense/bias', tensor: tf.tensor1d([Number.NaN, Number.POSITIVE_INFINITY, -0]) },
];

/** Header length, header JSON and data section of a file. */
function split(file: Uint8Array) {
  const length = Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true));
  const header = new TextDecoder().decode(file.subarray(8, 8 + length));
  return { length, header, data: file.subarray(8 + length) };
}

describe('safetensors', () => {
  it('round-trips float32, int32 and bool tensors, scalars and empty tensors', () => {
    const original = weights();
    const decoded = decodeSafetensors(encodeSafetensors(original));
    expect(decoded.metadata).toEqual({ format: 'tfjs' });
    expect(decoded.weights.map((w) => w.name)).toEqual(original.map((w) => w.name));
    decoded.weights.forEach(({ tensor }, i) => {
      const expected = original[i]!.tensor;
      expect(tensor.dtype).toBe(expected.dtype);
      expect(tensor.shape).toEqual(expected.shape);
      expect(Array.from(tensor.dataSync())).toEqual(Array.from(expected.dataSync()));
    });
  });

  it('lays the file out as the format specifies', () => {
    const file = encodeSafetensors(weights());
    const { length, header, data } = split(file);
    expect(length % 8).toBe(0);
    expect(header).toMatch(/^\{.*\} *$/);
    const json = JSON.parse(header);
    expect(json['conv2d/kernel']).toEqual({ dtype: 'F32', shape: [1, 2, 2, 2], data_offsets: [0, 32] });
    expect(json.steps).toEqual({ dtype: 'I32', shape: [3], data_offsets: [32, 44] });
    expect(json.mask).toEqual({ dtype: 'BOOL', shape: [3, 1], data_offsets: [44, 47] });
    expect(json.scalar).toEqual({ dtype: 'F32', shape: [], data_offsets: [47, 51] });
    expect(json.empty).toEqual({ dtype: 'F32', shape: [0, 3], data_offsets: [51, 51] });
    expect(json.__metadata__).toEqual({ format: 'tfjs' });
    expect(data.length).toBe(63);
    // Little-endian: 1.5f is 0x3fc00000.
    expect(Array.from(data.subarray(0, 4))).toEqual([0x00, 0x00, 0xc0, 0x3f]);
    expect(Array.from(data.subarray(44, 47))).toEqual([1, 0, 1]);
  });

  it('keeps non-ASCII names and pads by UTF-8 bytes', () => {
    const file = encodeSafetensors([{ name: 'schicht_ä/kernel', tensor: tf.ones([2]) }]);
    expect(split(file).length % 8).toBe(0);
    expect(decodeSafetensors(file).weights[0]!.name).toBe('schicht_ä/kernel');
  });

  it('decodes a file whose bytes sit at an odd offset of a larger buffer', () => {
    const file = encodeSafetensors(weights());
    const larger = new Uint8Array(file.length + 3);
    larger.set(file, 3);
    expect(decodeSafetensors(larger.subarray(3)).weights).toHaveLength(6);
  });

  it.each([
    // Tensors are made inside the test, after the backend is chosen.
    ['complex64', () => ({ name: 'c', tensor: tf.complex([1], [2]) }), /dtype complex64/],
    ['string', () => ({ name: 's', tensor: tf.tensor(['a']) }), /dtype string/],
    ['the reserved name', () => ({ name: '__metadata__', tensor: tf.ones([1]) }), /reserved/],
  ])('refuses a %s weight', (_, weight, message) => {
    expect(() => encodeSafetensors([weight()])).toThrow(
      expect.objectContaining({ code: 'weight_unsupported', message: expect.stringMatching(message) }),
    );
  });

  it('refuses two weights with the same name', () => {
    const twice = [
      { name: 'a', tensor: tf.ones([1]) },
      { name: 'a', tensor: tf.ones([1]) },
    ];
    expect(() => encodeSafetensors(twice)).toThrow(/same name/);
  });

  describe('decodeSafetensors refuses', () => {
    /** A file with the given header object and data bytes. */
    function file(header: unknown, data = new Uint8Array(0)): Uint8Array {
      const json = new TextEncoder().encode(JSON.stringify(header));
      const out = new Uint8Array(8 + json.length + data.length);
      new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
      out.set(json, 8);
      out.set(data, 8 + json.length);
      return out;
    }
    const f32 = (begin: number, end: number) => ({
      dtype: 'F32',
      shape: [(end - begin) / 4],
      data_offsets: [begin, end],
    });

    it.each([
      ['a file shorter than 8 bytes', new Uint8Array(4), /shorter than the 8-byte/],
      ['a header length past the end', file({}).subarray(0, 9), /runs past the end/],
      ['a header that is not JSON', file('x').fill(0x41, 8), /not UTF-8 JSON/],
      ['a header that is an array', file([]), /not a JSON object/],
      [
        'an unknown dtype',
        file({ a: { dtype: 'F64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)),
        /F64/,
      ],
      ['offsets past the data', file({ a: f32(0, 8) }, new Uint8Array(4)), /outside 4 data bytes/],
      [
        'a size that disagrees with the shape',
        file({ a: { ...f32(0, 8), shape: [3] } }, new Uint8Array(8)),
        /needs 12/,
      ],
      [
        'a hole between tensors',
        file({ a: f32(0, 4), b: f32(8, 12) }, new Uint8Array(12)),
        /starts at 8, expected 4/,
      ],
      ['data beyond the last tensor', file({ a: f32(0, 4) }, new Uint8Array(8)), /cover 4 of 8/],
      ['metadata that is not strings', file({ __metadata__: { a: 1 } }), /__metadata__/],
    ])('%s', (_, bytes, message) => {
      expect(() => decodeSafetensors(bytes, 'w.safetensors')).toThrow(
        expect.objectContaining({
          code: 'safetensors_invalid',
          message: expect.stringMatching(
            new RegExp(`^w\\.safetensors is not a valid safetensors file: .*${message.source}`),
          ),
        }),
      );
    });
  });
});
