/** A typed array over the wasm heap, as `BackendWasm.typedArrayFromHeap` returns. */
export type HeapArray = Float32Array | Int32Array | Uint8Array;

/**
 * Edge of the square tiles a 2-D transpose works in. Strides here are often large powers of two,
 * whose lines share an L1 set: 16 rows fit its ways where 32 thrash (measured on one [64, 32, 32, 64]
 * tensor with its first and last axes swapped: 17 ms against 53 ms).
 */
const TILE = 16;

/** Rows shorter than this are copied element by element; `subarray` costs more than it saves. */
const SHORT_ROW = 16;

/**
 * Copies a strided view of `src` (elements at `offset + Σ index[i]·strides[i]` for `index` < `shape`)
 * into `dst` in row-major order. Transposes and slices are both such views. The package's Transpose
 * walks the output with one strided read per element, missing the cache on almost every read; here
 * axes that stay contiguous are merged and a remaining transpose is done in tiles.
 */
export function stridedCopy(
  src: HeapArray,
  offset: number,
  shape: readonly number[],
  strides: readonly number[],
  dst: HeapArray,
): void {
  const [dims, steps] = simplify(shape, strides);
  const rank = dims.length;
  if (rank === 0) {
    dst[0] = src[offset]!;
    return;
  }
  const last = rank - 1;
  if (steps[last] === 1) {
    copyRows(src, offset, dims, steps, dst);
    return;
  }
  const inner = steps.indexOf(1);
  if (inner === -1) {
    copyElements(src, offset, dims, steps, dst);
    return;
  }
  transposeTiles(src, offset, dims, steps, dst, inner);
}

/** Drops size-1 axes and merges neighbours that are contiguous in `src` too. */
function simplify(shape: readonly number[], strides: readonly number[]): [number[], number[]] {
  const dims: number[] = [];
  const steps: number[] = [];
  shape.forEach((size, axis) => {
    if (size === 1) return;
    const stride = strides[axis]!;
    const top = dims.length - 1;
    if (top >= 0 && steps[top] === stride * size) {
      dims[top]! *= size;
      steps[top] = stride;
    } else {
      dims.push(size);
      steps.push(stride);
    }
  });
  return [dims, steps];
}

/**
 * Visits every index of the axes `[0, rank)` other than `skip`, odometer style, with its offset in
 * `src` counted from `start`.
 */
function forEachOuter(
  dims: readonly number[],
  steps: readonly number[],
  start: number,
  rank: number,
  skip: ReadonlySet<number>,
  visit: (srcOffset: number, index: readonly number[]) => void,
): void {
  const axes = [...Array(rank).keys()].filter((axis) => !skip.has(axis));
  const index = new Array<number>(dims.length).fill(0);
  let at = start;
  for (;;) {
    visit(at, index);
    let k = axes.length - 1;
    while (k >= 0) {
      const axis = axes[k]!;
      index[axis]!++;
      at += steps[axis]!;
      if (index[axis]! < dims[axis]!) break;
      at -= steps[axis]! * dims[axis]!;
      index[axis] = 0;
      k--;
    }
    if (k < 0) return;
  }
}

function copyRows(src: HeapArray, offset: number, dims: number[], steps: number[], dst: HeapArray): void {
  const last = dims.length - 1;
  const row = dims[last]!;
  let out = 0;
  forEachOuter(dims, steps, offset, last, new Set(), (at) => {
    if (row < SHORT_ROW) {
      for (let i = 0; i < row; i++) dst[out + i] = src[at + i]!;
    } else {
      dst.set(src.subarray(at, at + row), out);
    }
    out += row;
  });
}

/** Transposes the plane of the `inner` axis (stride 1 in `src`) and the last axis, tile by tile. */
function transposeTiles(
  src: HeapArray,
  offset: number,
  dims: number[],
  steps: number[],
  dst: HeapArray,
  inner: number,
): void {
  const last = dims.length - 1;
  const outStrides = rowMajorStrides(dims);
  const rows = dims[inner]!;
  const cols = dims[last]!;
  const rowStep = outStrides[inner]!;
  const colStep = steps[last]!;
  forEachOuter(dims, steps, offset, last, new Set([inner]), (at, index) => {
    let base = 0;
    for (let axis = 0; axis < last; axis++) base += index[axis]! * outStrides[axis]!;
    for (let c0 = 0; c0 < cols; c0 += TILE) {
      const c1 = Math.min(c0 + TILE, cols);
      for (let r0 = 0; r0 < rows; r0 += TILE) {
        const r1 = Math.min(r0 + TILE, rows);
        for (let r = r0; r < r1; r++) {
          const from = at + r;
          const to = base + r * rowStep;
          for (let c = c0; c < c1; c++) dst[to + c] = src[from + c * colStep]!;
        }
      }
    }
  });
}

function copyElements(src: HeapArray, offset: number, dims: number[], steps: number[], dst: HeapArray): void {
  let out = 0;
  forEachOuter(dims, steps, offset, dims.length, new Set(), (at) => (dst[out++] = src[at]!));
}

/** Row-major strides of a contiguous tensor of `shape`. */
export function rowMajorStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    strides[axis] = stride;
    stride *= shape[axis]!;
  }
  return strides;
}
