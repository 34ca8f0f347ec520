import { encodeNpy, float32Bytes } from '../test/fixtures.js';
import { parseNpy } from './npy.js';

const URI = 'file:///data/x.npy';

describe('parseNpy', () => {
  it.each([1, 2, 3] as const)('reads float32 arrays in format version %i.0', (version) => {
    const values = [0.5, -1.25, 3, 1e-7, 42, -0];
    const array = parseNpy(
      encodeNpy({ descr: '<f4', shape: [2, 3], data: float32Bytes(values), version }),
      URI,
    );
    expect(array.dtype).toBe('float32');
    expect(array.shape).toEqual([2, 3]);
    expect([...array.data]).toEqual(values.map(Math.fround));
  });

  it('reads uint8 arrays and one-dimensional shapes', () => {
    const array = parseNpy(encodeNpy({ descr: '|u1', shape: [4], data: Uint8Array.of(0, 1, 254, 255) }), URI);
    expect(array).toMatchObject({ dtype: 'uint8', shape: [4] });
    expect([...array.data]).toEqual([0, 1, 254, 255]);
  });

  it('reads float32 data that is not 4-byte aligned in memory', () => {
    const file = encodeNpy({ descr: '<f4', shape: [2], data: float32Bytes([1.5, -2]) });
    const shifted = new Uint8Array(file.length + 1);
    shifted.set(file, 1);
    expect([...parseNpy(shifted.subarray(1), URI).data]).toEqual([1.5, -2]);
  });

  it.each([
    ['big-endian float32', { descr: '>f4', shape: [1], data: float32Bytes([1]) }, /'>f4' is big-endian/],
    ['float64', { descr: '<f8', shape: [1], data: new Uint8Array(8) }, /dtype '<f8' is not supported/],
    ['int32', { descr: '<i4', shape: [1], data: new Uint8Array(4) }, /dtype '<i4' is not supported/],
    [
      'Fortran order',
      { descr: '<f4', shape: [2, 2], data: new Uint8Array(16), fortranOrder: true },
      /fortran_order/,
    ],
    [
      'truncated data',
      { descr: '<f4', shape: [3, 4], data: new Uint8Array(40) },
      /truncated: .*needs 48 bytes.*has 40/,
    ],
    ['extra data', { descr: '|u1', shape: [2, 2], data: new Uint8Array(5) }, /1 bytes after the data/],
  ])('refuses %s as npy_invalid naming the file', (_, fixture, problem) => {
    const parse = () => parseNpy(encodeNpy(fixture), URI);
    expect(parse).toThrow(
      expect.objectContaining({ code: 'npy_invalid', message: expect.stringContaining(URI) }),
    );
    expect(parse).toThrow(problem);
  });

  it('refuses files that are not .npy', () => {
    expect(() => parseNpy(Buffer.from('just some text, long enough'), URI)).toThrow(/magic string/);
    expect(() => parseNpy(Uint8Array.of(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 9, 0, 0, 0), URI)).toThrow(
      /version 9\.0/,
    );
    const header = encodeNpy({ descr: '<f4', shape: [100], data: new Uint8Array(0) });
    expect(() => parseNpy(header.subarray(0, 40), URI)).toThrow(/header is truncated/);
  });

  it('refuses structured dtypes', () => {
    const file = encodeNpy({ descr: '<f4', shape: [1], data: new Uint8Array(4) });
    const text = Buffer.from(file).toString('latin1').replace("'<f4'", "[('a', '<f4')]");
    expect(() => parseNpy(Buffer.from(text, 'latin1').subarray(0, file.length), URI)).toThrow(
      /structured dtypes/,
    );
  });
});
