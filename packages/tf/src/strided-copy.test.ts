import { rowMajorStrides, stridedCopy } from './kernels/strided-copy.js';

/** The element-by-element definition stridedCopy must agree with. */
function reference(src: Float32Array, offset: number, shape: number[], strides: number[]): Float32Array {
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  const outStrides = rowMajorStrides(shape);
  for (let i = 0; i < out.length; i++) {
    let at = offset;
    shape.forEach((_, axis) => {
      at += (Math.floor(i / outStrides[axis]!) % shape[axis]!) * strides[axis]!;
    });
    out[i] = src[at]!;
  }
  return out;
}

function check(shape: number[], offset: number, viewShape: number[], viewStrides: number[]): void {
  const src = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i);
  const dst = new Float32Array(viewShape.reduce((a, b) => a * b, 1));
  stridedCopy(src, offset, viewShape, viewStrides, dst);
  expect(Array.from(dst)).toEqual(Array.from(reference(src, offset, viewShape, viewStrides)));
}

describe('stridedCopy', () => {
  test.each([
    [
      [5, 7],
      [1, 0],
    ],
    [
      [3, 4, 5, 6],
      [3, 1, 2, 0],
    ],
    [
      [3, 4, 5, 6],
      [1, 2, 0, 3],
    ],
    [
      [2, 1, 37, 33],
      [0, 3, 1, 2],
    ],
    [
      [40, 3, 18],
      [2, 1, 0],
    ],
    [
      [1, 1, 1],
      [2, 0, 1],
    ],
    [
      [4, 1, 3, 1, 2],
      [4, 2, 0, 3, 1],
    ],
  ])('transposes %j by %j', (shape, perm) => {
    const strides = rowMajorStrides(shape);
    check(
      shape,
      0,
      perm.map((axis) => shape[axis]!),
      perm.map((axis) => strides[axis]!),
    );
  });

  test('slices with an offset', () => {
    const shape = [3, 9, 8, 20];
    const strides = rowMajorStrides(shape);
    check(shape, 1 * strides[1]! + 2 * strides[2]!, [3, 6, 5, 20], strides);
    check(shape, 2 * strides[3]!, [3, 9, 8, 3], strides);
  });

  test('rotates by 180° with negative strides, also while transposing', () => {
    const shape = [3, 5, 4, 6];
    const [s0, s1, s2, s3] = rowMajorStrides(shape) as [number, number, number, number];
    const offset = 2 * s0 + 4 * s1;
    check(shape, offset, [3, 5, 4, 6], [-s0, -s1, s2, s3]);
    check(shape, offset, [3, 5, 6, 4], [-s0, -s1, s3, s2]);
  });

  test('copies views with no unit stride element by element', () => {
    check([6, 8], 0, [3, 4], [16, 2]);
  });
});
